package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestNotifyTestReportsEachTarget(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer hook.Close()
	dir := t.TempDir()
	host := strings.TrimPrefix(hook.URL, "http://")
	cfg := `data_dir: ` + filepath.Join(dir, "data") + `
accounts:
  - name: alice
    apple_id: alice@example.com
    password: {file: ` + filepath.Join(dir, "pw") + `}
notify:
  urls: ["generic+http://` + host + `/hook?secretkey=hunter2value"]
  webhook_url: "` + hook.URL + `/webhook"
`
	path := filepath.Join(dir, "icloudmon.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "notify", "test", "--config", path)
	if code != exitOK {
		t.Fatalf("notify test exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "generic#1") || !strings.Contains(out, "webhook") {
		t.Errorf("output does not name each target:\n%s", out)
	}
	mu.Lock()
	got := len(bodies)
	mu.Unlock()
	if got != 2 {
		t.Errorf("the local hook received %d messages, want 2 (one per target)", got)
	}
	if strings.Contains(out+errOut, "hunter2value") {
		t.Error("a notification URL secret was printed")
	}

	hook.Close()
	code, out, _ = runCLI(t, "", "notify", "test", "--config", path)
	if code != exitCritical || !strings.Contains(out, "FAILED") {
		t.Errorf("unreachable targets: exit %d, output %q; want 2 and FAILED lines", code, out)
	}
	if strings.Contains(out, "hunter2value") {
		t.Error("a notification URL secret was printed in a failure")
	}
}

func TestNotifyTestWithoutTargets(t *testing.T) {
	dir := t.TempDir()
	cfg := "data_dir: " + filepath.Join(dir, "data") + "\naccounts:\n  - name: a\n    apple_id: a@example.com\n    password: {env: X}\n"
	path := filepath.Join(dir, "c.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "", "notify", "test", "--config", path); code != exitUnknown || !strings.Contains(errOut, "no notification target") {
		t.Errorf("no targets: exit %d, stderr %q", code, errOut)
	}
}
