package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// A listing whose assets carry no added date is a format problem, not an
// empty library.
func TestUploadAssetsWithoutAddedDate(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	n := 2
	obs := Observation{Account: "a", Auth: AuthObservation{Kind: AuthOK}, Libraries: []LibraryObservation{{
		Name: "personal", Zone: "PrimarySync", Monitored: true, Listed: true, Indexing: IndexingFinished,
		AssetCount: &n, Newest: []photo.Asset{{ID: "1", Filename: "IMG_1.HEIC"}, {ID: "2", Filename: "IMG_2.HEIC"}},
	}}}
	rep := Evaluate(obs, DefaultPolicy(), History{}, now)
	c, _ := rep.Check(CheckICloudUpload)
	if c.Status != StatusUnknown || strings.Contains(c.Summary, "empty") || !strings.Contains(c.Summary, "format") {
		t.Errorf("icloud_upload = %s %q; want unknown naming a format change", c.Status, c.Summary)
	}
}
