package main

import (
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// privateCAServer is an HTTPS receiver whose certificate only its own CA
// vouches for, like a self-hosted ntfy/Gotify behind a home CA.
type privateCAServer struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newPrivateCAServer(t *testing.T) (*privateCAServer, string) {
	t.Helper()
	s := &privateCAServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	caFile := filepath.Join(t.TempDir(), "home-ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(caFile, block, 0o600); err != nil {
		t.Fatal(err)
	}
	return s, caFile
}

func (s *privateCAServer) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

// Issue 22 item 1: tls.ca_file is the trust anchor of notifications and
// pings too, not only of the iCloud endpoints.
func TestNotifyTestTrustsTLSCAFile(t *testing.T) {
	srv, caFile := newPrivateCAServer(t)
	host := strings.TrimPrefix(srv.URL, "https://")
	dir := t.TempDir()
	cfg := func(withCA bool) string {
		c := "data_dir: " + filepath.Join(dir, "data") + `
accounts:
  - name: alice
    apple_id: alice@example.com
    password: {file: ` + filepath.Join(dir, "pw") + `}
notify:
  urls: ["gotify://` + host + `/AbCdEfGhIjKlMnO", "ntfy://` + host + `/family-alerts"]
  webhook_url: "` + srv.URL + `/webhook"
  healthchecks_url: "` + srv.URL + `/ping/abc"
`
		if withCA {
			c += "tls:\n  ca_file: " + caFile + "\n"
		}
		return c
	}
	path := filepath.Join(dir, "icloudmon.yml")
	if err := os.WriteFile(path, []byte(cfg(true)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "notify", "test", "--config", path)
	if code != exitOK {
		t.Fatalf("notify test with tls.ca_file: exit %d\n%s\n%s", code, out, errOut)
	}
	want := map[string]bool{"/message": false, "/family-alerts": false, "/webhook": false, "/ping/abc/log": false}
	for _, p := range srv.got() {
		if _, ok := want[p]; ok {
			want[p] = true
		}
	}
	for p, seen := range want {
		if !seen {
			t.Errorf("the private-CA server never received %s; it got %v", p, srv.got())
		}
	}

	// Without tls.ca_file the same server is refused: verification stays on.
	if err := os.WriteFile(path, []byte(cfg(false)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "", "notify", "test", "--config", path)
	if code != exitCritical || !strings.Contains(out, "FAILED") {
		t.Errorf("without tls.ca_file: exit %d, output %q; want 2 and FAILED (certificate not trusted)", code, out)
	}
}
