package store

import (
	"strings"
	"testing"
	"time"
)

// TestRecordCycleIsOneTransaction: a cycle's history point, report and
// prune are written together, and a failure of any part leaves none of
// them.
func TestRecordCycleIsOneTransaction(t *testing.T) {
	db := newDB(t)
	ctx := t.Context()
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	must(t, db.AppendHistory(ctx, "bob", t0.Add(-48*time.Hour), []byte(`{"old":1}`)))

	n, err := db.RecordCycle(ctx, CycleRecord{Account: "alice", At: t0, Point: []byte(`{"p":1}`),
		ReportAt: t0.Add(time.Second), Report: []byte(`{"r":1}`), PruneBefore: t0.Add(-24 * time.Hour)})
	if err != nil || n != 1 {
		t.Fatalf("RecordCycle = %d, %v; want 1 point pruned", n, err)
	}
	pts, err := db.History(ctx, "alice", time.Time{})
	must(t, err)
	if len(pts) != 1 || !pts[0].At.Equal(t0) || string(pts[0].Data) != `{"p":1}` {
		t.Errorf("alice's history = %+v; want the one point", pts)
	}
	if old, _ := db.History(ctx, "bob", time.Time{}); len(old) != 0 {
		t.Errorf("bob's old point was not pruned: %+v", old)
	}
	at, data, ok, err := db.LastReport(ctx, "alice")
	if err != nil || !ok || !at.Equal(t0.Add(time.Second)) || string(data) != `{"r":1}` {
		t.Errorf("LastReport = %v, %q, %v, %v", at, data, ok, err)
	}

	// The report's write fails after the point's: neither is kept.
	_, err = db.w.ExecContext(ctx, `CREATE TRIGGER no_report BEFORE UPDATE ON reports
		BEGIN SELECT RAISE(ABORT, 'injected report failure'); END`)
	must(t, err)
	_, err = db.RecordCycle(ctx, CycleRecord{Account: "alice", At: t0.Add(time.Hour), Point: []byte(`{"p":2}`),
		ReportAt: t0.Add(time.Hour), Report: []byte(`{"r":2}`)})
	if err == nil || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("RecordCycle with a failing report = %v, want the injected failure", err)
	}
	if pts, _ := db.History(ctx, "alice", time.Time{}); len(pts) != 1 {
		t.Errorf("after the failed record alice has %d points, want 1 (the failed cycle's point rolled back)", len(pts))
	}

	// Nothing but a prune.
	n, err = db.RecordCycle(ctx, CycleRecord{Account: "alice", PruneBefore: t0.Add(time.Minute)})
	if err != nil || n != 1 {
		t.Errorf("prune only: RecordCycle = %d, %v; want 1", n, err)
	}
}
