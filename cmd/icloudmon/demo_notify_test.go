package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Issue 22 item 5: the demo shows a notification arriving, by default in
// its own output.
func TestDemoPrintsItsNotifications(t *testing.T) {
	code, out, errOut := runCLI(t, "", "demo", "--once", "--scenario", "behind", "--data-dir", t.TempDir())
	if code != exitWarning {
		t.Fatalf("demo --once --scenario behind: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "demo: notification received") || !strings.Contains(out, "WARNING, local copy") {
		t.Errorf("the demo did not show the notification of its warning:\n%s", out)
	}
}

// Issue 22 item 5: `demo --config FILE` sends the demo's notifications to
// the notify: targets of FILE (its accounts do not matter, a file with only
// notify: is fine) instead of ignoring the flag.
func TestDemoConfigSendsToTheFilesTargets(t *testing.T) {
	var mu sync.Mutex
	var titles []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct{ Title string }
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &ev)
		mu.Lock()
		titles = append(titles, ev.Title)
		mu.Unlock()
	}))
	defer hook.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "notify-only.yml")
	if err := os.WriteFile(path, []byte("notify:\n  webhook_url: "+hook.URL+"/family\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "demo", "--once", "--scenario", "stalled", "--data-dir", filepath.Join(dir, "demo"), "--config", path)
	if code != exitCritical {
		t.Fatalf("demo --config: exit %d\n%s\n%s", code, out, errOut)
	}
	mu.Lock()
	got := append([]string(nil), titles...)
	mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], "CRITICAL") {
		t.Errorf("the file's webhook received %q, want the demo's critical message", got)
	}
	if strings.Contains(out, "demo: notification received") {
		t.Error("with --config the demo's own webhook still printed the message")
	}

	// A bad notify: section is an error, not silence.
	if err := os.WriteFile(path, []byte("notify:\n  webhook_url: not-a-url\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "", "demo", "--once", "--data-dir", filepath.Join(dir, "demo2"), "--config", path); code != exitUnknown ||
		!strings.Contains(errOut, "notify.webhook_url") {
		t.Errorf("bad notify section: exit %d, stderr %q; want 3 naming notify.webhook_url", code, errOut)
	}
	if err := os.WriteFile(path, []byte("interval: 1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "", "demo", "--once", "--data-dir", filepath.Join(dir, "demo3"), "--config", path); code != exitUnknown ||
		!strings.Contains(errOut, "no notify") {
		t.Errorf("file without targets: exit %d, stderr %q; want 3 saying it has no notify targets", code, errOut)
	}
}
