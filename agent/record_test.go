package agent

import (
	"database/sql"
	"testing"
	"time"
)

// TestCycleRecordsInOneTransaction (issue 25): a cycle's history point and
// report go to the store in one transaction, so a report that cannot be
// written takes the point with it (before, each was its own commit and the
// point stayed).
func TestCycleRecordsInOneTransaction(t *testing.T) {
	db := openDB(t)
	raw, err := sql.Open("sqlite", db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, ev := range []string{"INSERT", "UPDATE"} {
		if _, err := raw.ExecContext(t.Context(), `CREATE TRIGGER no_report_`+ev+` BEFORE `+ev+` ON reports
			BEGIN SELECT RAISE(ABORT, 'injected report failure'); END`); err != nil {
			t.Fatal(err)
		}
	}
	a := newTestAgent(t, db, Account{Name: "alice", Cloud: stubCloud{healthyCloud}, Folders: []FolderSource{stubFolder{}}})
	if _, err := a.RunCycle(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.History(t.Context(), "alice", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 0 {
		t.Errorf("the report could not be written but the cycle's history point was: %d points", len(rows))
	}
	if _, _, ok, _ := db.LastReport(t.Context(), "alice"); ok {
		t.Error("a report was saved despite the injected failure")
	}
}
