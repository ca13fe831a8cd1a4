package checks

import (
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/photo"
)

// An empty folder on its first run (no baseline) is critical while the
// library it should hold has photos: an unmounted share leaves an empty
// mount point. It is ok only when iCloud confirms the library is empty,
// and unknown when iCloud could not be read.
func TestFolderEmptyOnFirstRun(t *testing.T) {
	emptyFolder := func(o Observation) Observation {
		o.Folders[0].Health.Files = 0
		for i := range o.Folders[0].Matches {
			o = setMatch(o, i, photo.ConfidenceNone)
		}
		return o
	}
	firstRun := History{LastSuccess: now.Add(-day)}

	c, _ := Evaluate(emptyFolder(healthyObs()), DefaultPolicy(), firstRun, now).Check(CheckFolder)
	if c.Status != StatusCritical || !strings.Contains(c.Summary, "is the share mounted?") {
		t.Errorf("empty folder, library with photos: %s %q, want critical asking about the mount", c.Status, c.Summary)
	}
	if c.Details == nil || len(c.Details.Folders) != 1 || c.Details.Folders[0].Problem != "empty" || c.Details.Folders[0].LibraryItems != 12345 {
		t.Errorf("details %+v, want problem empty with the library's 12345 items", c.Details)
	}

	empty := healthyObs()
	empty.Libraries[0].Newest, empty.Libraries[0].AssetCount = nil, ptr(0)
	empty.Folders[0].Matches, empty.Folders[0].Health.Files = nil, 0
	if c, _ := Evaluate(empty, DefaultPolicy(), firstRun, now).Check(CheckFolder); c.Status != StatusOK {
		t.Errorf("empty folder, empty library: %s %q, want ok", c.Status, c.Summary)
	}

	notRead := blocked(AuthNetworkError, "no route to host")
	notRead.Folders[0].Health.Files = 0
	if c, _ := Evaluate(notRead, DefaultPolicy(), firstRun, now).Check(CheckFolder); c.Status != StatusUnknown {
		t.Errorf("empty folder, iCloud not read: %s %q, want unknown", c.Status, c.Summary)
	}
}

// Sub-directories that could not be read make the folder check warn and
// name them; their photos cannot be found.
func TestFolderUnreadableSubdirectoriesWarn(t *testing.T) {
	o := healthyObs()
	o.Folders[0].Health.Unreadable = []string{"2026/11", "@eaDir"}
	c, _ := Evaluate(o, DefaultPolicy(), healthyHist(), now).Check(CheckFolder)
	if c.Status != StatusWarning {
		t.Fatalf("folder %s %q, want warning", c.Status, c.Summary)
	}
	for _, want := range []string{"2 sub-directories could not be read", "2026/11", "@eaDir"} {
		if !strings.Contains(c.Summary, want) {
			t.Errorf("summary %q lacks %q", c.Summary, want)
		}
	}
	if c.Details == nil || c.Details.Folders[0].Problem != "partly_unreadable" || len(c.Details.Folders[0].Unreadable) != 2 {
		t.Errorf("details %+v, want partly_unreadable naming both", c.Details)
	}
	if !strings.Contains(c.Remediation, "read access") {
		t.Errorf("remediation %q", c.Remediation)
	}
}

// An empty folder holding two libraries is critical when either has
// photos, even if the other's size is unknown (order does not matter).
func TestFolderEmptyCriticalWhateverTheLibraryOrder(t *testing.T) {
	unknownShared := LibraryObservation{Name: "shared", Zone: "SharedSync-1", Shared: true, Monitored: true, Indexing: IndexingRunning}
	for _, order := range [][]int{{0, 1}, {1, 0}} {
		o := healthyObs()
		libs := []LibraryObservation{o.Libraries[0], unknownShared}
		o.Libraries = []LibraryObservation{libs[order[0]], libs[order[1]]}
		o.Folders[0].Health.Files = 0
		for i := range o.Folders[0].Matches {
			o = setMatch(o, i, photo.ConfidenceNone)
		}
		if c, _ := Evaluate(o, DefaultPolicy(), History{LastSuccess: now.Add(-day)}, now).Check(CheckFolder); c.Status != StatusCritical {
			t.Errorf("order %v: folder %s %q, want critical", order, c.Status, c.Summary)
		}
	}
}

// A folder for a Shared Library that does not exist (yet) in iCloud may be
// empty: there is nothing it should hold.
func TestFolderEmptyForALibraryThatDoesNotExist(t *testing.T) {
	o := healthyObs()
	o.Folders[0].Health.Files, o.Folders[0].Matches = 0, nil
	o.Folders[0].Libraries = []string{"shared"}
	if c, _ := Evaluate(o, DefaultPolicy(), History{LastSuccess: now.Add(-day)}, now).Check(CheckFolder); c.Status != StatusOK {
		t.Errorf("empty shared folder, no Shared Library in iCloud: %s %q, want ok", c.Status, c.Summary)
	}
}
