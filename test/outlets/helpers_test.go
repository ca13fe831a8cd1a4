package outlets

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/internal/syncbuf"
	"github.com/icloudmon/icloudmon/notify"
	"github.com/icloudmon/icloudmon/store"
)

// need returns the path of program, or skips the test locally and fails it
// in CI, where .ci/run installs it.
func need(t *testing.T, program, install string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err == nil {
		return p
	}
	msg := program + " not found in PATH; " + install
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// start runs a server program until the test ends and returns its output.
func start(t *testing.T, dir string, env []string, name string, args ...string) *syncbuf.Buffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, out.String())
		}
	})
	return out
}

// waitHTTP polls url until it answers 200 or the time is up.
func waitHTTP(t *testing.T, url string, within time.Duration, out *syncbuf.Buffer) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url) //nolint:noctx // polling a local test server
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within %s; output so far:\n%s", url, within, out.String())
}

// report is one cycle of account "alice" whose local_copy check has
// status st (every other check ok).
func report(st checks.Status, at time.Time) checks.Report {
	ar := checks.AccountReport{Name: "alice", Status: checks.StatusOK}
	for _, id := range checks.AllChecks() {
		cr := checks.CheckResult{ID: id, Status: checks.StatusOK, Summary: "No problem found"}
		if id == checks.CheckLocalCopy && st != checks.StatusOK {
			cr.Status = st
			cr.Summary = "12 of the newest 200 photos are not in /photos/alice, 9 days behind iCloud"
			cr.Remediation = "The importer that fills /photos/alice seems stuck; check that it runs and is signed in."
		}
		ar.Checks = append(ar.Checks, cr)
		ar.Status = checks.Worst(ar.Status, cr.Status)
	}
	return checks.Report{Status: ar.Status, CheckedAt: at, Accounts: []checks.AccountReport{ar}}
}

func itoa(i int) string { return strconv.Itoa(i) }

// waitTCP waits until something listens on address.
func waitTCP(t *testing.T, address string, within time.Duration, out *syncbuf.Buffer) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", address, time.Second); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s after %s; output so far:\n%s", address, within, out.String())
}

// sendFailingThenResolving sends, through a notifier with opts (its store
// in dir), the notifications of two hourly cycles: local_copy critical,
// then ok again. Each cycle must give one sent message.
func sendFailingThenResolving(t *testing.T, dir string, opts notify.Options) {
	t.Helper()
	db, err := store.Open(filepath.Join(dir, "icloudmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	opts.Location, opts.Now, opts.Logger = time.UTC, func() time.Time { return now }, slog.New(slog.DiscardHandler)
	n, err := notify.New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []checks.Status{checks.StatusCritical, checks.StatusOK} {
		res, err := n.Notify(t.Context(), report(st, now))
		if err != nil || len(res) != 1 || res[0].Err != nil {
			t.Fatalf("cycle %s: results %+v, err %v", st, res, err)
		}
		now = now.Add(time.Hour)
	}
}
