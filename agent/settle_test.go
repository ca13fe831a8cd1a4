package agent

import (
	"slices"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// TestHealthyLibrarySettlesToOK runs the real agent hourly for three
// simulated days against a healthy family library with the defaults a new
// user has: some hidden items that no folder holds (the default rule
// `hidden: notice`), Live Photos, edits, a Shared Library, Recently Deleted
// items with local copies, a photo uploaded (and imported) every few hours.
// Every check must be ok after the first day and stay ok: a warning that
// cannot clear without the user changing the library gets the tool muted.
// Hidden items may be reported once (a warning for the first day, one
// notification, then its resolution), nothing else.
func TestHealthyLibrarySettlesToOK(t *testing.T) {
	hook, hookURL := newWebhookLog(t)
	r := newRig(t, rigOptions{webhook: hookURL, hidden: checks.HiddenNotice})
	if r.lib.HiddenCount(fakeicloud.PrimaryZone) == 0 {
		t.Fatal("the generated library has no hidden items; the test would prove nothing")
	}
	s := &soak{r: r, start: r.clock.Now()}
	var lastWarning time.Duration = -1
	for r.clock.Now().Sub(s.start) <= 72*time.Hour {
		at := r.clock.Now().Sub(s.start)
		if at%(4*time.Hour) == 0 {
			s.addUpload()
		}
		rep := r.cycle()
		for _, c := range rep.Checks {
			switch {
			case c.Status == checks.StatusOK:
			case c.ID == checks.CheckLibraryCoverage && c.Status == checks.StatusWarning && at < checks.HiddenNoticePeriod:
				lastWarning = at
			default:
				t.Fatalf("at +%s %s is %s: %s", at, c.ID, c.Status, c.Summary)
			}
		}
		if at == 72*time.Hour {
			if rep.Status != checks.StatusOK {
				t.Errorf("after three days the account is %s, want ok", rep.Status)
			}
			if c, _ := rep.Check(checks.CheckLibraryCoverage); c.Details == nil || len(c.Details.Notes) == 0 {
				t.Errorf("library_coverage no longer mentions the hidden items: %q", c.Summary)
			}
			if f := findLibrary(rep, "personal"); f == nil || f.Hidden == nil || *f.Hidden == 0 {
				t.Errorf("the report lost the hidden count of the personal library: %+v", f)
			}
		}
		r.clock.Advance(time.Hour)
	}
	if lastWarning < 0 {
		t.Error("hidden items that no folder holds were never reported")
	}
	want := []string{"library_coverage→warning", "library_coverage→ok"}
	if got := hook.seen(); !slices.Equal(got, want) {
		t.Errorf("notifications %v, want %v", got, want)
	}
}

func findLibrary(rep checks.AccountReport, name string) *checks.LibraryFacts {
	for i := range rep.Observed.Libraries {
		if rep.Observed.Libraries[i].Name == name {
			return &rep.Observed.Libraries[i]
		}
	}
	return nil
}
