package checks

import (
	"strings"
	"testing"
)

// TestUnreadableSharedLibraryLeavesPersonalJudged: a Shared Library that
// iCloud could not list is unknown with the reason, in the indexing check
// and in local_copy's summary; the personal library's checks are judged.
func TestUnreadableSharedLibraryLeavesPersonalJudged(t *testing.T) {
	o := healthyObs()
	o.Libraries = append(o.Libraries, LibraryObservation{Name: "shared", Zone: "SharedSync-1", Shared: true, Monitored: true,
		ReadError: "iCloud Photos cannot answer this query on the library (BAD_REQUEST: Index has invalid data)"})
	rep := Evaluate(o, DefaultPolicy(), healthyHist(), now)
	byID := map[CheckID]CheckResult{}
	for _, r := range rep.Checks {
		byID[r.ID] = r
	}
	for _, id := range []CheckID{CheckICloudUpload, CheckRecentlyDeleted, CheckStorage, CheckAuth, CheckFolder} {
		if byID[id].Status != StatusOK {
			t.Errorf("%s = %s (%s), want ok: the personal library is still judged", id, byID[id].Status, byID[id].Summary)
		}
	}
	idx := byID[CheckIndexing]
	if idx.Status != StatusUnknown || !strings.Contains(idx.Summary, "shared") || !strings.Contains(idx.Summary, "Index has invalid data") {
		t.Errorf("indexing = %s %q", idx.Status, idx.Summary)
	}
	lc := byID[CheckLocalCopy]
	if lc.Status != StatusUnknown || !strings.Contains(lc.Summary, "library shared could not be read") {
		t.Errorf("local_copy = %s %q", lc.Status, lc.Summary)
	}
	var facts *LibraryFacts
	for i := range rep.Observed.Libraries {
		if rep.Observed.Libraries[i].Name == "shared" {
			facts = &rep.Observed.Libraries[i]
		}
	}
	if facts == nil || !strings.Contains(facts.Error, "Index has invalid data") {
		t.Errorf("observed facts: %+v", facts)
	}
}
