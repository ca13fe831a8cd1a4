package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/internal/syncbuf"
)

const (
	leakWebToken    = "webtoken-LEAK-0123456789abcdef"
	leakNotifyToken = "NOTIFYSECRET-LEAK-7d1c4e"
)

// hookServer records every notification it receives.
type hookServer struct {
	mu   sync.Mutex
	seen []string
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var hdr strings.Builder
	for k, v := range r.Header {
		fmt.Fprintf(&hdr, "%s: %s\n", k, strings.Join(v, ","))
	}
	h.mu.Lock()
	h.seen = append(h.seen, hdr.String()+"\n"+string(body))
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookServer) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.seen...)
}

// keyToFile replaces key of the configuration's section with key_file
// naming file.
func keyToFile(m map[string]any, section, key, file string) {
	sec, _ := m[section].(map[string]any)
	if sec == nil {
		sec = map[string]any{}
	}
	delete(sec, key)
	sec[key+"_file"] = file
	m[section] = sec
}

// leakConfig rewrites the demo configuration with a known web token and a
// notification URL carrying a token, both given through *_file keys.
func leakConfig(t *testing.T, path, hookURL string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	tokenFile, urlsFile := filepath.Join(dir, "web-token"), filepath.Join(dir, "notify-urls")
	notifyURL := "generic+" + hookURL + "/hook?token=" + leakNotifyToken
	for file, content := range map[string]string{tokenFile: leakWebToken + "\n", urlsFile: notifyURL + "\n"} {
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	keyToFile(m, "web", "token", tokenFile)
	keyToFile(m, "notify", "urls", urlsFile)
	out, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// sessionSecrets reads every cookie value and token of the saved session.
func sessionSecrets(t *testing.T, dataDir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dataDir, "sessions", "*.json"))
	if len(files) == 0 {
		t.Fatal("no session file was saved; cannot check that cookies and tokens stay secret")
	}
	var env struct {
		Session []byte `json:"session"`
	}
	raw, err := os.ReadFile(files[0])
	if err != nil || json.Unmarshal(raw, &env) != nil {
		t.Fatalf("reading the session file: %v", err)
	}
	var sess struct {
		Cookies []struct {
			Name, Value string
		} `json:"cookies"`
		SessionToken string `json:"session_token"`
		TrustToken   string `json:"trust_token"`
		SCNT         string `json:"scnt"`
		SessionID    string `json:"session_id"`
	}
	if err := json.Unmarshal(env.Session, &sess); err != nil {
		t.Fatalf("the session blob is not the icloudapi session: %v", err)
	}
	var out []string
	for _, v := range []string{sess.SessionToken, sess.TrustToken, sess.SCNT, sess.SessionID} {
		if len(v) >= 12 {
			out = append(out, v)
		}
	}
	for _, c := range sess.Cookies {
		// "v=1:s=0:d=<dsid>" style values are identifiers, not secrets; the
		// random part after "t=" is.
		if _, tok, ok := strings.Cut(c.Value, "t="); ok && len(tok) >= 12 {
			out = append(out, tok)
		} else if len(c.Value) >= 20 && !strings.Contains(c.Value, "d=") {
			out = append(out, c.Value)
		}
	}
	if len(out) < 3 {
		t.Fatalf("the saved session holds too few secrets to test with (%d values)", len(out))
	}
	return out
}

// leakCorpus collects everything icloudmon showed to the outside.
type leakCorpus struct{ parts map[string]string }

func (c *leakCorpus) add(where, text string) { c.parts[where] += text }

func (c *leakCorpus) assertClean(t *testing.T, secrets map[string]string) {
	t.Helper()
	for where, text := range c.parts {
		for name, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s reveals the %s", where, name)
			}
		}
	}
}

// TestSecretsNeverLeak runs the commands and the daemon's endpoints with a
// known password, web token, notification URL and a real signed-in session,
// and looks for each secret in every output.
func TestSecretsNeverLeak(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	hook := &hookServer{}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	d, path := startDemoConfig(t, "behind") // warning: a notification is sent
	leakConfig(t, path, hs.URL)
	pw, err := os.ReadFile(d.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	corpus := &leakCorpus{parts: map[string]string{}}
	for _, args := range [][]string{
		{"config", "check", "--config", path},
		{"verify", "--config", path},
		{"verify", "--config", path, "--output", "json", "--notify"},
		{"verify", "--config", path, "--output", "json", "--no-cache"},
		{"demo", "--once", "--scenario", "reauth", "--data-dir", t.TempDir()},
	} {
		_, out, errOut := runCLI(t, "", args...)
		name := strings.Join(args, " ")
		corpus.add(name+" stdout", out)
		corpus.add(name+" stderr", errOut)
	}
	cfg, err := configs.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"password": strings.TrimSpace(string(pw)), "web token": leakWebToken,
		"notification token": leakNotifyToken, "notification URL": "hook?token=",
	}
	for i, s := range sessionSecrets(t, cfg.DataDir) {
		secrets[fmt.Sprintf("session secret #%d", i)] = s
	}
	runLeakDaemon(t, cfg, corpus)
	secrets["rejected password"] = leakWrongPassword(t, path, d.PasswordFile, cfg.DataDir, corpus)
	sent := hook.received()
	if len(sent) == 0 {
		t.Fatal("no notification reached the hook: the test would prove nothing about notifications")
	}
	corpus.add("sent notifications", strings.Join(sent, "\n"))
	if !strings.Contains(corpus.parts["verify --config "+path+" stdout"], "local_copy") {
		t.Fatalf("verify printed no report; the corpus is not representative:\n%v", corpus.parts)
	}
	for where, text := range corpus.parts {
		t.Logf("checked %-28s %6d bytes", where, len(text))
	}
	t.Logf("%d secrets checked; %d notifications received", len(secrets), len(sent))
	corpus.assertClean(t, secrets)
}

// runLeakDaemon runs the daemon with debug logging until the first cycle
// finished, and fetches every endpoint.
func runLeakDaemon(t *testing.T, cfg *configs.Config, corpus *leakCorpus) {
	t.Helper()
	cfg.Listen, cfg.LogLevel = freeAddr(t), "debug"
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	opts := daemonOptions{build: buildOptions{sessions: credstore.ModeFile}, reload: func() (*configs.Config, error) { return cfg, nil }}
	go func() { done <- runDaemon(ctx, cfg, log, opts) }()
	base := "http://" + cfg.Listen
	waitStatus(t, base+"/healthz", http.StatusOK, done)
	waitFirstCycle(t, base)
	for _, p := range []string{"/metrics", "/healthz", "/api/status", "/", "/?token=" + leakWebToken, "/api/status?token=wrong"} {
		corpus.add("GET "+strings.SplitN(p, "?", 2)[0], fetch(t, base+p))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("the daemon stopped with %v", err)
	}
	corpus.add("daemon log", logs.String())
}

func waitFirstCycle(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(fetch(t, base+"/api/status"), `"accounts"`) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the daemon finished no cycle")
}

// fetch returns status line, headers and body, authenticating with the
// web token (the request carries it; the answer must not).
func fetch(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(url, "token=") {
		req.Header.Set("Authorization", "Bearer "+leakWebToken)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n", resp.Status)
	_ = resp.Header.Write(&b)
	b.Write(body)
	return b.String()
}

const wrongPassword = "WRONG-password-LEAK-5e9a1f"

// leakWrongPassword makes the next sign-in fail with a rejected password
// (error paths print more) and runs verify in both formats.
func leakWrongPassword(t *testing.T, path, passwordFile, dataDir string, corpus *leakCorpus) string {
	t.Helper()
	if err := os.WriteFile(passwordFile, []byte(wrongPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dataDir, "sessions")); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json"} {
		code, out, errOut := runCLI(t, "", "verify", "--config", path, "--output", format, "--no-cache")
		if code != exitCritical {
			t.Errorf("verify with a wrong password exit %d, want %d\n%s\n%s", code, exitCritical, out, errOut)
		}
		corpus.add("verify (wrong password, "+format+") stdout", out)
		corpus.add("verify (wrong password, "+format+") stderr", errOut)
	}
	return wrongPassword
}
