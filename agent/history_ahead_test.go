package agent

import (
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/store"
)

// The history read while a cycle observes gives the history that reading
// after the observation gives, at the machine's time and at check times
// (Apple's clock) within and beyond historySlack of it, where it reads
// again. The points span more than the upload window, with uploads, sign-in
// outcomes, folder counts, another owner and one unreadable row.
func TestHistoryReadAheadIsTheHistoryReadAfter(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "icloudmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	policy := checks.DefaultPolicy()
	a := &Agent{db: db, policy: policy, log: slog.New(slog.DiscardHandler)}
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	ctx := t.Context()
	for h := 0; h < 24*(95+12); h += 5 {
		at := start.Add(-time.Duration(h) * time.Hour)
		p := checks.HistoryPoint{At: at, Auth: checks.AuthOK, Owner: "me",
			FolderFiles: map[string]int{"/photos": 10000 - h}, Hidden: map[string]int{"personal": h % 7}}
		if h%3 == 0 {
			p.Uploads = []time.Time{at.Add(-time.Duration(h%50) * time.Minute)}
		}
		if h%11 == 0 {
			p.Owner = "someone else"
		}
		if h%13 == 0 {
			p.Auth, p.UploadAlert = checks.AuthPasswordRejected, true
		}
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if h == 25 {
			data = []byte("{not json")
		}
		if err := db.AppendHistory(ctx, "acct", at, data); err != nil {
			t.Fatal(err)
		}
	}
	for _, skew := range []time.Duration{0, time.Hour, -time.Hour, 20 * time.Hour, -20 * time.Hour, 3 * 24 * time.Hour, -10 * 24 * time.Hour} {
		now := start.Add(skew)
		h := a.readHistoryAhead(ctx, "acct", start)
		got := a.historyAt(ctx, h, "acct", "me", now)
		h.stop()
		want := a.loadHistory(ctx, "acct", "me", now)
		if len(want.Uploads) == 0 || len(want.FolderFiles) == 0 {
			t.Fatalf("skew %v: the history read after has no uploads or folder counts: %+v", skew, want)
		}
		if d := cmp.Diff(want, got, cmp.AllowUnexported(checks.History{})); d != "" {
			t.Errorf("check time %v from the machine's: history read ahead differs (-after +ahead):\n%s", skew, d)
		}
	}
}
