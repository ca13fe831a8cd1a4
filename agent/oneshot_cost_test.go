package agent

import (
	"testing"
)

// TestOneShotCostsTheSameAsTheDaemon measures the requests of a no-change
// cycle in the daemon (same process) and in one-shot runs (a new process
// each time, as `verify` from cron), and names them.
func TestOneShotCostsTheSameAsTheDaemon(t *testing.T) {
	// with the whole-library audit on, as by default: its mirror asks
	// nothing when changes/database says nothing changed
	o := rigOptions{audit: &AuditOptions{RequestsPerDay: 500, RequestsPerCycle: 50}}
	r := newRig(t, o)
	r.cycle() // sign-in and cold read
	paths := func() []string {
		var out []string
		for _, q := range r.server.Requests() {
			out = append(out, q.Method+" "+q.Path)
		}
		return out
	}
	r.server.ResetRequests()
	r.cycle()
	daemon := paths()
	r.server.ResetRequests()
	r.build(o) // a new process: the one-shot path
	r.cycle()
	oneShot := paths()
	t.Logf("no-change daemon cycle: %d requests %v", len(daemon), daemon)
	t.Logf("no-change one-shot run: %d requests %v", len(oneShot), oneShot)
	// validate (the session check) + changes/database + storageUsageInfo:
	// the Photos snapshot's budget of 2 (docs/design.md) plus the session.
	if len(daemon) > 3 {
		t.Errorf("a no-change daemon cycle costs %d requests, want at most 3: %v", len(daemon), daemon)
	}
	if len(oneShot) > len(daemon) {
		t.Errorf("a one-shot run costs %d requests, the daemon's cycle %d: %v vs %v", len(oneShot), len(daemon), oneShot, daemon)
	}
}
