package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 22 item 7: `config check` refuses a notification URL that `run`
// refuses (TLS verification switched off, a URL its service cannot parse),
// without printing it.
func TestConfigCheckRefusesWhatRunRefuses(t *testing.T) {
	dir := t.TempDir()
	for name, url := range map[string]string{
		"tls-skip":  "gotify://gotify.home.example/AbCdEfGhIjKlMnO?insecureskipverify=yes",
		"ntfy-skip": "ntfy://ntfy.home.example/secretvalue?disabletlsverification=true",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".yml")
			cfg := "data_dir: " + filepath.Join(dir, "data") + "\naccounts:\n  - name: a\n    apple_id: a@example.com\n" +
				"    password: {env: X}\nnotify:\n  urls: [\"" + url + "\"]\n"
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runCLI(t, "", "config", "check", "--config", path)
			if code != exitUnknown || !strings.Contains(errOut, "notify.urls #1") {
				t.Errorf("config check: exit %d, stderr %q; want 3 naming notify.urls #1", code, errOut)
			}
			if strings.Contains(out+errOut, "AbCdEfGhIjKlMnO") || strings.Contains(out+errOut, "secretvalue") {
				t.Error("the notification URL was printed")
			}
		})
	}
}

// Issue 22 item 7: `healthcheck` asks the address of ICLOUDMON_LISTEN or
// --listen even when the configuration has problems elsewhere.
func TestHealthcheckUsesListenOfAnInvalidConfig(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "broken.yml")
	if err := os.WriteFile(path, []byte("interval: soon\naccounts: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ICLOUDMON_LISTEN", ln.Addr().String())
	if code, out, errOut := runCLI(t, "", "healthcheck", "--config", path); code != 0 {
		t.Errorf("ICLOUDMON_LISTEN with a broken file: exit %d, %q %q; want 0 from the daemon at %s", code, out, errOut, ln.Addr())
	}
	t.Setenv("ICLOUDMON_LISTEN", "")
	if code, _, errOut := runCLI(t, "", "healthcheck", "--config", path, "--listen", ln.Addr().String()); code != 0 {
		t.Errorf("--listen with a broken file: exit %d, %q; want 0", code, errOut)
	}
}
