package browser_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/icloudmon/icloudmon/agent"
	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/internal/demo"
	"github.com/icloudmon/icloudmon/store"
	"github.com/icloudmon/icloudmon/web"
)

const webToken = "browser-test-token-0123456789abcdef"

// chromiumPath finds Debian's chromium; without it the test skips, except
// in CI.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI must run the browser tests (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (Debian: apt-get install chromium); skipping the browser test")
	return ""
}

// daemon is the agent of a demo scenario ("reauth": a fake iCloud that
// asks for 2FA), configured like `icloudmon demo` configures it (every
// library, hidden items imported) and served like `icloudmon run` serves
// it, with the demo's 30 days of seeded history and the whole-library
// audit on.
type daemon struct {
	demo  *demo.Demo
	agent *agent.Agent
	url   string
}

func startDaemon(t *testing.T, scenario string) *daemon {
	t.Helper()
	dir := t.TempDir()
	d, err := demo.Start(demo.Options{Scenario: scenario, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	db, err := store.Open(filepath.Join(dir, "icloudmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := d.SeedHistory(t.Context(), db, demo.Account); err != nil {
		t.Fatal(err)
	}
	sessions, err := credstore.NewSessionStore(dir, credstore.ModeFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	newClient := func(string) (*icloudapi.Client, error) {
		return icloudapi.New(icloudapi.Options{AppleID: demo.AppleID, AuthURL: d.Server.AuthURL(),
			SetupURL: d.Server.SetupURL(), HomeURL: d.Server.HomeURL(), RootCAs: d.Server.CertPool()})
	}
	live, err := newClient(demo.Account)
	if err != nil {
		t.Fatal(err)
	}
	password := func(ctx context.Context) (string, error) {
		pw, err := credstore.LookupPassword(ctx, credstore.PasswordOptions{Account: demo.Account, File: d.PasswordFile})
		return pw.Value.Reveal(), err
	}
	// The whole-library audit with the default budget, as the demo runs it.
	audit := configs.DefaultAudit()
	cloud := &agent.ICloud{Account: demo.Account, Client: live, Sessions: sessions, Password: password,
		DB: db, Libraries: []string{"all"}, Newest: 50,
		Audit: &agent.AuditOptions{RequestsPerDay: audit.RequestsPerDay, RequestsPerCycle: audit.RequestsPerCycle}}
	// One folder per library, as the demo writes them.
	folder := &agent.Folder{Name: "photos", Path: d.PhotosDir, Importer: "icloudpd", KV: db, Tolerance: 2 * time.Second,
		Libraries: []string{"personal"}}
	shared := &agent.Folder{Name: "shared", Path: d.SharedDir, Importer: "icloudpd", KV: db, Tolerance: 2 * time.Second,
		Libraries: []string{"shared"}}
	a, err := agent.New(t.Context(), agent.Options{Accounts: []agent.Account{{Name: demo.Account, Cloud: cloud,
		Folders: []agent.FolderSource{folder, shared}, HiddenCovered: true}}, Policy: checks.DefaultPolicy(), DB: db, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	reauth, err := web.NewReAuthHandler(web.ReAuthOptions{Accounts: web.ReAuthenticators(a, newClient),
		CSRF: web.WebCSRF(webToken), Agent: a})
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.NewHandler(web.ServerOptions{Agent: a, Gatherer: prometheus.NewRegistry(), WebToken: webToken, ReAuth: reauth})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &daemon{demo: d, agent: a, url: srv.URL}
}

func (d *daemon) cycle(t *testing.T) checks.CheckResult {
	t.Helper()
	rep, err := d.agent.RunCycle(t.Context(), demo.Account)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := rep.Check(checks.CheckAuth)
	return c
}

// browser is a headless Chromium with one page under DevTools control.
type browser struct {
	t         *testing.T
	page      *cdp
	artifacts string
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin := chromiumPath(t)
	profile := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--remote-debugging-port=0", "--window-size=420,1000", "about:blank")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	port := devToolsPort(t, profile, &stderr)
	ws := pageSocket(t, port)
	conn, err := dialWS(ctx, ws)
	if err != nil {
		t.Fatalf("connecting to the page: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	b := &browser{t: t, page: &cdp{ws: conn}, artifacts: artifactsDir(t)}
	if err := b.page.call("Runtime.enable", map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
	return b
}

// devToolsPort reads the port chromium chose from DevToolsActivePort.
func devToolsPort(t *testing.T, profile string, stderr *bytes.Buffer) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort"))
		if err == nil {
			if port, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])); err == nil && port > 0 {
				return port
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("chromium did not open its DevTools port within 30s; its output:\n%s", stderr)
	return 0
}

// pageSocket returns the DevTools WebSocket URL of the first page.
func pageSocket(t *testing.T, port int) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/json/list", port))
		if err == nil {
			var targets []struct {
				Type string `json:"type"`
				WS   string `json:"webSocketDebuggerUrl"`
			}
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
			for _, tg := range targets {
				if err == nil && tg.Type == "page" && tg.WS != "" {
					return tg.WS
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("chromium lists no page target")
	return ""
}

// artifactsDir is where screenshots are kept after the test:
// $ICLOUDMON_ARTIFACTS/browser, or a new temporary directory that is not
// removed (its path is logged).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ICLOUDMON_ARTIFACTS")
	if dir == "" {
		kept, err := os.MkdirTemp("", "icloudmon-browser-")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshots are kept in %s (set ICLOUDMON_ARTIFACTS to choose)", kept)
		return kept
	}
	dir = filepath.Join(dir, "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (b *browser) navigate(url string) {
	b.t.Helper()
	if err := b.page.call("Page.navigate", map[string]any{"url": url}, nil); err != nil {
		b.t.Fatal(err)
	}
}

// waitFor polls a JavaScript condition (true once the page shows what the
// test waits for); navigations in between are retried.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		v, err := b.page.eval("document.readyState === 'complete' && !!(" + cond + ")")
		if err == nil && v == "true" {
			return
		}
		last = fmt.Sprint(v, err)
		time.Sleep(100 * time.Millisecond)
	}
	text, _ := b.page.eval("location.href + '\\n' + document.body.innerText")
	b.t.Fatalf("waiting for %s (%s): last %s; page:\n%s", what, cond, last, text)
}

func (b *browser) text() string {
	b.t.Helper()
	s, err := b.page.eval("document.body.innerText")
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

func (b *browser) click(selector string) {
	b.t.Helper()
	if _, err := b.page.eval(fmt.Sprintf("document.querySelector(%q).click()", selector)); err != nil {
		b.t.Fatal(err)
	}
}

// typeInto focuses the element and types text as keyboard input.
func (b *browser) typeInto(selector, text string) {
	b.t.Helper()
	if _, err := b.page.eval(fmt.Sprintf("document.querySelector(%q).focus()", selector)); err != nil {
		b.t.Fatal(err)
	}
	if err := b.page.call("Input.insertText", map[string]any{"text": text}, nil); err != nil {
		b.t.Fatal(err)
	}
}

// screenshot saves a PNG of the page and logs where.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	var r struct {
		Data string `json:"data"`
	}
	if err := b.page.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &r); err != nil {
		b.t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 1000 {
		b.t.Fatalf("screenshot %s is not a PNG (%d bytes, %v)", name, len(png), err)
	}
	path := filepath.Join(b.artifacts, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

func mustShow(t *testing.T, page, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not show %q; visible text:\n%s", page, w, text)
		}
	}
}

// TestBrowserStatusPageAndReAuth: the status page shows that the account
// needs a new sign-in; the person follows "Sign in again", has a code
// shown on their devices, types it, and the next check is ok.
func TestBrowserStatusPageAndReAuth(t *testing.T) {
	b := startBrowser(t)
	d := startDaemon(t, "reauth")
	if auth := d.cycle(t); auth.Status != checks.StatusCritical {
		t.Fatalf("first cycle: auth %s, want critical (2FA needed)", auth.Status)
	}

	b.navigate(d.url + "/?token=" + webToken)
	b.waitFor("the status page", "document.querySelector('#account-demo')")
	mustShow(t, "status page", b.text(), "icloudmon", "demo", "CRITICAL", "Sign in again")
	b.screenshot("1-status-reauth-needed")

	b.click("a.reauth")
	b.waitFor("the re-auth page", "document.querySelector('#start')")
	mustShow(t, "re-auth page", b.text(), "Sign in again: demo", "The stored password is used")
	b.screenshot("2-reauth-start")

	b.click("#start")
	b.waitFor("the delivery choice", "document.querySelector('#via-device')")
	mustShow(t, "delivery choice", b.text(), "Show a code on my Apple devices", "Text a code to")
	b.screenshot("3-reauth-choose")

	b.click("#via-device")
	b.waitFor("the code form", "document.querySelector('#code')")
	mustShow(t, "code form", b.text(), "Apple sent a code to your trusted Apple devices")
	code := d.demo.Server.LastCode()
	if code == "" {
		t.Fatal("the fake sent no code")
	}
	b.typeInto("#code", code)
	b.screenshot("4-reauth-code")
	b.click("#verify")
	b.waitFor("the success message", "document.querySelector('#success')")
	mustShow(t, "result page", b.text(), "Signed in")
	if strings.Contains(b.text(), code) {
		t.Error("the result page shows the code")
	}
	b.screenshot("5-reauth-done")

	if auth := d.cycle(t); auth.Status != checks.StatusOK {
		t.Fatalf("cycle after the web sign-in: auth %s %q, want ok", auth.Status, auth.Summary)
	}
	b.click("#back")
	b.waitFor("the status page again", "document.querySelector('#account-demo')")
	text := b.text()
	if strings.Contains(text, "Sign in again") {
		t.Errorf("the status page still asks for a sign-in after a successful one:\n%s", text)
	}
	b.screenshot("6-status-after")
}
