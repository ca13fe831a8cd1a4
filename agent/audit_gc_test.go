package agent

import (
	"fmt"
	"slices"
	"testing"
)

// recordGC replaces setGCPercent with a recorder starting at percent and
// returns the calls made.
func recordGC(t *testing.T, percent int) *[]int {
	t.Helper()
	calls := []int{}
	cur := percent
	old := setGCPercent
	setGCPercent = func(p int) int {
		calls = append(calls, p)
		prev := cur
		cur = p
		return prev
	}
	t.Cleanup(func() { setGCPercent = old })
	return &calls
}

// TestAuditTightensGCWhileComparing: a comparison of a large library runs
// with GOGC at auditGCPercent and puts the previous setting back when it
// ends, before the memory is given back; a small one leaves the collector
// alone.
func TestAuditTightensGCWhileComparing(t *testing.T) {
	r := newRig(t, rigOptions{audit: auditOptions()})
	var events []string
	defer func(f func(), n int) { freeOSMemory, auditReleaseAfter = f, n }(freeOSMemory, auditReleaseAfter)
	freeOSMemory = func() { events = append(events, "free") }
	old, oldUser := setGCPercent, userGOGC
	defer func() { setGCPercent, userGOGC = old, oldUser }()
	userGOGC = func() bool { return false }
	cur := 100
	setGCPercent = func(p int) int {
		events = append(events, fmt.Sprint("gc ", p))
		prev := cur
		cur = p
		return prev
	}
	auditReleaseAfter = 1_000_000
	obs, _ := r.observeAudit()
	personal := auditLib(t, obs, "personal")
	if personal.Compared == 0 || len(events) != 0 {
		t.Fatalf("compared %d assets; calls %v, want some assets and none below the threshold", personal.Compared, events)
	}
	auditReleaseAfter = personal.Compared
	obs, _ = r.observeAudit()
	if want := []string{fmt.Sprint("gc ", auditGCPercent), "gc 100", "free"}; !slices.Equal(events, want) || auditLib(t, obs, "personal").Compared == 0 {
		t.Fatalf("calls %v, want %v", events, want)
	}
}

// TestTightenGCNests: comparisons of two accounts overlap; the setting of
// before the first comes back when the last ends; GOGC set by the user
// stands; a collector switched off by verify's deferral is never put back
// off.
func TestTightenGCNests(t *testing.T) {
	calls := recordGC(t, 100)
	a := tightenGC()
	b := tightenGC()
	a()
	a() // a second call does nothing
	if want := []int{auditGCPercent}; !slices.Equal(*calls, want) {
		t.Fatalf("after the first release: %v, want %v", *calls, want)
	}
	b()
	if want := []int{auditGCPercent, 100}; !slices.Equal(*calls, want) {
		t.Fatalf("after both: %v, want %v", *calls, want)
	}
	// GOGC in the environment: nothing is changed.
	defer func(f func() bool) { userGOGC = f }(userGOGC)
	userGOGC = func() bool { return true }
	calls = recordGC(t, 10)
	tightenGC()()
	if len(*calls) != 0 {
		t.Errorf("with GOGC set by the user: calls %v, want none", *calls)
	}
	// Off without GOGC in the environment is verify's deferred first
	// collection: the comparison is tightened like any other, and off is
	// not put back (the deferral's memory limit may be gone by then).
	userGOGC = func() bool { return false }
	calls = recordGC(t, -1)
	tightenGC()()
	if want := []int{auditGCPercent, 100}; !slices.Equal(*calls, want) {
		t.Errorf("collector off (deferred): calls %v, want %v", *calls, want)
	}
}
