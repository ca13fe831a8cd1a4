package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

const (
	srpInitPath     = "/appleauth/auth/signin/init"
	srpCompletePath = "/appleauth/auth/signin/complete"
)

// codeRequests counts requests that make Apple send a 2FA code or submit one.
func codeRequests(r *rig) int {
	n := 0
	for _, req := range r.server.Requests() {
		if strings.HasPrefix(req.Path, "/appleauth/auth/verify/") {
			n++
		}
	}
	return n
}

// srpAttempts counts SRP attempts: signin/complete requests, where the
// proof (the password) is sent. signin/init alone is not an attempt: the
// client restarts at init, within one attempt, when Apple's random B has a
// leading zero byte (1 in 256), which made counting inits flaky.
func srpAttempts(r *rig) int { return r.server.Count(srpCompletePath) }

// signInRun drives cycles every 10 minutes for the given simulated time and
// records the SRP attempts of every cycle.
type signInRun struct {
	perCycle []int
	at       []time.Time
	reports  []checks.AccountReport
}

func runCycles(r *rig, span time.Duration) signInRun {
	var run signInRun
	end := r.clock.Now().Add(span)
	for r.clock.Now().Before(end) {
		before := srpAttempts(r)
		rep := r.cycle()
		run.perCycle = append(run.perCycle, srpAttempts(r)-before)
		run.at = append(run.at, r.clock.Now())
		run.reports = append(run.reports, rep)
		r.clock.Advance(10 * time.Minute)
	}
	return run
}

// maxIn24h is the largest number of attempts in any 24-hour window.
func (s signInRun) maxIn24h() int {
	best := 0
	for i := range s.at {
		n := 0
		for j := i; j < len(s.at) && s.at[j].Sub(s.at[i]) < 24*time.Hour; j++ {
			n += s.perCycle[j]
		}
		best = max(best, n)
	}
	return best
}

func (s signInRun) check(t *testing.T, wantTotalMax int) {
	t.Helper()
	total := 0
	for i, n := range s.perCycle {
		if n > 1 {
			t.Errorf("cycle %d made %d SRP attempts, want at most 1", i, n)
		}
		total += n
	}
	if got := s.maxIn24h(); got > 3 {
		t.Errorf("%d SRP attempts within 24 h, want at most 3", got)
	}
	if total > wantTotalMax {
		t.Errorf("%d SRP attempts over %d cycles, want at most %d", total, len(s.perCycle), wantTotalMax)
	}
	for i, rep := range s.reports {
		if got := status(rep, checks.CheckAuth); got == "ok" {
			t.Fatalf("cycle %d: auth is ok although sign-in cannot succeed", i)
		}
	}
}

// TestWrongPasswordIsTriedOnce: a rejected password is never retried
// automatically, across 48 simulated hours of 10-minute cycles and a
// process restart.
func TestWrongPasswordIsTriedOnce(t *testing.T) {
	hook, hookURL := newWebhookLog(t)
	r := newRig(t, rigOptions{password: "not-the-password", webhook: hookURL})
	run := runCycles(r, 24*time.Hour)
	r.build(rigOptions{webhook: hookURL})
	run2 := runCycles(r, 24*time.Hour)
	run.perCycle = append(run.perCycle, run2.perCycle...)
	run.at = append(run.at, run2.at...)
	run.reports = append(run.reports, run2.reports...)
	run.check(t, 1)
	if got := srpAttempts(r); got != 1 {
		t.Errorf("%d SRP attempts with a rejected password over 48 h, want exactly 1", got)
	}
	assertQuietAfterRejection(t, hook)
	last := run.reports[len(run.reports)-1]
	if c, _ := last.Check(checks.CheckAuth); c.Remediation == "" {
		t.Errorf("auth check %q gives no remediation", c.Summary)
	}
	assertReadOnly(t, r)
}

// TestSignInBudgetUnderServerErrors: when signin/complete fails with a 503
// (not a rejection), automatic sign-in is retried at most once per cycle
// and 3 times per 24 h.
func TestSignInBudgetUnderServerErrors(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.server.Update(func(sc *fakeicloud.Scenario) {
		sc.Faults = map[string]fakeicloud.Fault{srpCompletePath: {Status: 503, Body: `{"serviceErrors":[{"code":"-20000"}]}`}}
	})
	run := runCycles(r, 49*time.Hour)
	run.check(t, 9)
	t.Logf("503 on signin/complete: %d cycles, %d SRP attempts, %d signin/complete requests, %d requests in all",
		len(run.perCycle), r.server.Count(srpInitPath), r.server.Count(srpCompletePath), r.requests())
	if got := srpAttempts(r); got < 3 {
		t.Errorf("only %d SRP attempts over 49 h; the budget should allow 3 per day", got)
	}
	if n := r.server.Count(srpInitPath); n > 4*srpAttempts(r) {
		t.Errorf("%d signin/init requests for %d attempts: unbounded restarts", n, srpAttempts(r))
	}
}

// TestTwoFactorPendingNeverRequestsACode: with 2FA pending, cycles never
// ask Apple to send a code (no verify/* request at all) and stay within
// the sign-in budget.
func TestTwoFactorPendingNeverRequestsACode(t *testing.T) {
	r := newRig(t, rigOptions{scenario: "reauth"})
	run := runCycles(r, 26*time.Hour)
	run.check(t, 6)
	t.Logf("2FA pending: %d cycles, %d SRP attempts, %d requests in all", len(run.perCycle), srpAttempts(r), r.requests())
	if n := codeRequests(r); n != 0 {
		t.Errorf("%d 2FA code requests over %d cycles, want 0", n, len(run.perCycle))
	}
	if r.server.LastCode() != "" {
		t.Errorf("the fake sent a verification code")
	}
	for i, rep := range run.reports {
		if got := status(rep, checks.CheckAuth); got != "critical" {
			t.Errorf("cycle %d: auth %s, want critical (re-auth required)", i, got)
			break
		}
	}
	assertReadOnly(t, r)
}

// assertQuietAfterRejection: one notification that sign-in is blocked; then
// only the daily reminder (remind_every 24 h) and the one-time
// announcement of the checks that could not run (unknown after 6 h) —
// never a message per cycle.
func assertQuietAfterRejection(t *testing.T, hook *webhookLog) {
	t.Helper()
	got := hook.seenKinds()
	count := map[string]int{}
	for _, k := range got {
		count[k]++
		switch {
		case k == "auth→critical (changed)", k == "auth→critical (reminder)":
		case strings.HasSuffix(k, "→unknown (changed)") && !strings.HasPrefix(k, "auth"):
		default:
			t.Errorf("unexpected notification reason %q", k)
		}
	}
	for k, n := range count {
		if n > 1 {
			t.Errorf("%q sent %d times in 48 h", k, n)
		}
	}
	if count["auth→critical (changed)"] != 1 {
		t.Errorf("the rejected password was announced %d times, want once: %v", count["auth→critical (changed)"], got)
	}
	hook.mu.Lock()
	events := hook.events
	hook.mu.Unlock()
	if events > 3 {
		t.Errorf("%d messages in 48 h with a rejected password, want at most 3 (alert, unknowns, one reminder): %v", events, got)
	}
	t.Logf("%d messages: %v", events, got)
}
