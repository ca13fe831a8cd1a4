package localindex

import (
	"reflect"
	"testing"

	"github.com/icloudmon/icloudmon/photo"
)

// TestVerdict: a folder holding only the edited version reports the photo
// found with its original missing (checks then says "only the edited
// version is here", never "missing"); an edit not copied and a Live
// Photo's video not copied are missing parts; nothing found is none.
func TestVerdict(t *testing.T) {
	edit := &FileMatch{Path: "2026/12/01/IMG_0001.JPG", Confidence: photo.ConfidenceCertain}
	orig := &FileMatch{Path: "2026/12/01/IMG_0002.HEIC", Confidence: photo.ConfidenceCertain}
	still := &FileMatch{Path: "2026/12/01/IMG_0003.HEIC", Confidence: photo.ConfidenceLikely}
	cases := []struct {
		name string
		m    Match
		want photo.Match
	}{
		{"edited only", Match{AssetID: "A1", Confidence: photo.ConfidenceNone, Edited: edit},
			photo.Match{AssetID: "A1", Confidence: photo.ConfidenceCertain, LocalPath: edit.Path,
				MissingParts: []photo.Part{photo.PartOriginal}}},
		{"edit not copied", Match{AssetID: "A2", Confidence: photo.ConfidenceCertain, File: orig, EditedMissing: true},
			photo.Match{AssetID: "A2", Confidence: photo.ConfidenceCertain, LocalPath: orig.Path,
				MissingParts: []photo.Part{photo.PartEdited}}},
		{"live video not copied", Match{AssetID: "A3", Confidence: photo.ConfidenceLikely, File: still, LiveVideoMissing: true},
			photo.Match{AssetID: "A3", Confidence: photo.ConfidenceLikely, LocalPath: still.Path,
				MissingParts: []photo.Part{photo.PartLiveVideo}}},
		{"nothing found", Match{AssetID: "A4"},
			photo.Match{AssetID: "A4", Confidence: photo.ConfidenceNone}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.m.Verdict(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
