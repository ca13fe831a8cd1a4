package notify

import (
	"log/slog"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// BenchmarkNotifyCycle measures one cycle of the state machine for a family
// of four accounts with every check failing (load, decide, save; the
// message rendering included, no network).
func BenchmarkNotifyCycle(b *testing.B) {
	now := t0
	n, err := New(newMemKV(), Options{Now: func() time.Time { return now }, Location: time.UTC, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	n.targets = append(n.targets, &recorder{})
	all := map[checks.CheckID]checks.Status{}
	for _, id := range checks.AllChecks() {
		all[id] = checks.StatusWarning
	}
	r := rep(acct{name: "a", statuses: all}, acct{name: "b", statuses: all}, acct{name: "c", statuses: all}, acct{name: "d"})
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Hour)
		if _, err := n.Notify(b.Context(), r); err != nil {
			b.Fatal(err)
		}
	}
}
