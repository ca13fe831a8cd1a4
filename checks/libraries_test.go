package checks

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// sharedLib is a monitored Shared Library with the given newest assets.
func sharedLib(assets []photo.Asset) LibraryObservation {
	return LibraryObservation{Name: "shared", Zone: "SharedSync-1234", Shared: true, Monitored: true,
		Indexing: IndexingFinished, Listed: true, Newest: assets, AssetCount: ptr(300), HiddenCount: ptr(0)}
}

// sharedAssets returns n assets with ids and names of their own.
func sharedAssets(n int, newest time.Time, step time.Duration) []photo.Asset {
	out := assetsEvery(n, newest, step)
	for i := range out {
		out[i].ID = fmt.Sprintf("shr-%03d", i)
		out[i].Filename = fmt.Sprintf("IMG_%04d.JPG", 7000-i)
	}
	return out
}

// One folder holds both libraries. The personal importer stopped 8 days
// ago (2 newest personal photos missing), while a Shared Library photo of
// 10 hours ago is there. The lag must come from the personal list, the
// one the missing photos come from: 8 days behind, critical, not "3 h".
func TestLocalCopyLagIsPerLibrary(t *testing.T) {
	pers := assetsAt([]time.Time{now.Add(-7 * time.Hour), now.Add(-2 * day), now.Add(-8 * day), now.Add(-9 * day)})
	shr := sharedAssets(2, now.Add(-10*time.Hour), day)
	o := healthyObs()
	o.Libraries = []LibraryObservation{personal(pers), sharedLib(shr)}
	o.Folders[0].Matches = append(allCertain(pers), allCertain(shr)...)
	o = setMatch(o, 0, photo.ConfidenceNone)
	o = setMatch(o, 1, photo.ConfidenceNone)
	rep := Evaluate(o, DefaultPolicy(), healthyHist(), now)
	c, _ := rep.Check(CheckLocalCopy)
	if c.Status != StatusCritical {
		t.Errorf("local_copy %s (%s), want critical: the personal library is 7 d 17 h behind", c.Status, c.Summary)
	}
	if !strings.Contains(c.Summary, "7 d 17 h behind") && !strings.Contains(c.Summary, "7 days 17 h behind") {
		t.Errorf("summary %q, want the personal library's lag (7 d 17 h)", c.Summary)
	}
	ff := rep.Observed.Folders[0]
	if ff.LagSeconds == nil || *ff.LagSeconds != (7*day+17*time.Hour).Seconds() {
		t.Errorf("observed lag %v, want %v s", ff.LagSeconds, (7*day + 17*time.Hour).Seconds())
	}
}

// Two folders, one per library: each library is compared only with its
// own folder. The Shared Library folder does not miss the personal photos
// and vice versa; a shared photo missing from the shared folder is missing
// even when a file of that name is in the personal folder.
func TestLocalCopyComparesEachLibraryWithItsFolders(t *testing.T) {
	pers := assetsEvery(5, now.Add(-7*time.Hour), day)
	shr := sharedAssets(3, now.Add(-8*time.Hour), day)
	o := healthyObs()
	o.Libraries = []LibraryObservation{personal(pers), sharedLib(shr)}
	pf := healthyFolder(pers)
	pf.Libraries = []string{"personal"}
	sf := healthyFolder(shr)
	sf.Name, sf.Path, sf.Libraries = "alice_shared", "/photos/alice-shared", []string{"shared"}
	sf.Matches[0] = photo.Match{AssetID: shr[0].ID, Confidence: photo.ConfidenceNone}
	o.Folders = []FolderObservation{pf, sf}
	h := healthyHist()
	h.FolderFiles[sf.Path] = 12000
	rep := Evaluate(o, DefaultPolicy(), h, now)
	c, _ := rep.Check(CheckLocalCopy)
	if c.Status != StatusWarning || c.Details == nil || len(c.Details.Missing) != 1 {
		t.Fatalf("local_copy %s %q %+v, want warning with the one shared photo missing", c.Status, c.Summary, c.Details)
	}
	if m := c.Details.Missing[0]; m.Library != "shared" || m.Folder != "alice_shared" {
		t.Errorf("missing %+v, want the shared photo in the shared folder", m)
	}
	for _, want := range []string{"All 5 of the newest photos are in folder \"alice\"", "1 of the newest 3 photos is not in folder \"alice_shared\""} {
		if !strings.Contains(c.Summary, want) {
			t.Errorf("summary %q lacks %q", c.Summary, want)
		}
	}
	if cov, _ := rep.Check(CheckLibraryCoverage); cov.Status != StatusOK {
		t.Errorf("library_coverage %s %q, want ok: each library has a folder", cov.Status, cov.Summary)
	}
}

// When every folder names its libraries and none names a monitored
// library, that library is backed up by no folder: library_coverage warns.
func TestLibraryCoverageWarnsForMonitoredLibraryNoFolderHolds(t *testing.T) {
	pers := assetsEvery(5, now.Add(-7*time.Hour), day)
	o := healthyObs()
	o.Libraries = []LibraryObservation{personal(pers), sharedLib(sharedAssets(3, now.Add(-8*time.Hour), day))}
	o.Folders[0] = healthyFolder(pers)
	o.Folders[0].Libraries = []string{"personal"}
	rep := Evaluate(o, DefaultPolicy(), healthyHist(), now)
	cov, _ := rep.Check(CheckLibraryCoverage)
	if cov.Status != StatusWarning || !strings.Contains(cov.Summary, `Shared Library "shared"`) || !strings.Contains(cov.Remediation, "libraries:") {
		t.Errorf("library_coverage %s %q (%s), want a warning naming the shared library", cov.Status, cov.Summary, cov.Remediation)
	}
	if c, _ := rep.Check(CheckLocalCopy); c.Status != StatusOK {
		t.Errorf("local_copy %s %q, want ok: the personal folder has every personal photo", c.Status, c.Summary)
	}
}
