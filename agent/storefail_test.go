package agent

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/internal/syncbuf"
)

// TestDatabaseUnwritableMidRun: the database stops accepting anything
// (closed under the agent, as when data_dir is unmounted or turns
// read-only). Cycles must go on without a panic, still judge the backup,
// say in the log what to check, and not flood notifications. (Known gaps,
// see docs/reliability.md: the failed index save is reported as an
// unreadable photo folder, and notifications stop because the alert state
// cannot be read.)
func TestDatabaseUnwritableMidRun(t *testing.T) {
	hook, hookURL := newWebhookLog(t)
	r := newRig(t, rigOptions{scenario: "behind", webhook: hookURL})
	var logs syncbuf.Buffer
	r.agent.log = slog.New(slog.NewTextHandler(&logs, nil))
	first := r.cycle()
	if first.Status != checks.StatusWarning {
		t.Fatalf("the behind scenario is %s, want warning", first.Status)
	}
	before := len(hook.seen())
	if err := r.db.Close(); err != nil {
		t.Fatal(err)
	}
	var last checks.AccountReport
	for range 12 {
		r.clock.Advance(10 * time.Minute)
		rep := r.cycle()
		if rep.Status == checks.StatusOK {
			t.Fatalf("a cycle without a database reports ok:\n%s", describe(rep))
		}
		last = rep
	}
	if !strings.Contains(logs.String(), "data_dir writable") {
		t.Errorf("the log does not say to check data_dir:\n%s", logs.String())
	}
	t.Logf("last report without a database: %s", strings.ReplaceAll(describe(last), r.photoDir, "<folder>"))
	sent := hook.seen()[before:]
	t.Logf("12 cycles without a database: %d notification reasons %v", len(sent), sent)
	if len(sent) > 1 {
		t.Errorf("%d notifications in 2 h while the database is unwritable, want at most 1: %v", len(sent), sent)
	}
}
