package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/icloudmon/icloudmon/agent"
	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

const (
	reauthAppleID  = "alice@example.com"
	reauthPassword = "correct horse battery staple"
)

// memSessions is an in-memory SessionStore.
type memSessions struct {
	mu    sync.Mutex
	blobs map[string][]byte
	saves int
}

func (m *memSessions) Load(_ context.Context, account string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[account]
	if !ok {
		return nil, credstore.ErrNotFound
	}
	return b, nil
}

func (m *memSessions) Save(_ context.Context, account string, blob []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.blobs == nil {
		m.blobs = map[string][]byte{}
	}
	m.blobs[account] = blob
	m.saves++
	return nil
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// reauthEnv is a daemon-like setup: an agent whose one account reads the
// fake iCloud through an *agent.ICloud, with the re-auth pages mounted.
type reauthEnv struct {
	fake     *fakeicloud.Server
	agent    *agent.Agent
	live     *icloudapi.Client
	sessions *memSessions
	clock    *testClock
	h        http.Handler
	password string // what the account's PasswordFunc returns
	srp      func() int
}

func newReauthEnv(t *testing.T, storedPassword bool) *reauthEnv {
	t.Helper()
	return newReauthEnvWith(t, storedPassword, func(*fakeicloud.Scenario) {})
}

// newReauthEnvWith is newReauthEnv with more knobs of the fake; with
// Scenario.HomeOrigin set, the clients use it as their home URL.
func newReauthEnvWith(t *testing.T, storedPassword bool, knobs func(*fakeicloud.Scenario)) *reauthEnv {
	t.Helper()
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 3, Assets: 30})
	sc := fakeicloud.Scenario{AppleID: reauthAppleID, Password: reauthPassword, Require2FA: true, HasTrustedDevices: true,
		Phones: []fakeicloud.Phone{{ID: 7, Number: "+1 (•••) •••-••42"}}}
	knobs(&sc)
	fake := fakeicloud.New(fakeicloud.Options{Photos: fakeicloud.NewPhotosHandler(lib), Scenario: sc})
	t.Cleanup(fake.Close)
	e := &reauthEnv{fake: fake, sessions: &memSessions{}, clock: &testClock{t: time.Now()}}
	if storedPassword {
		e.password = reauthPassword
	}
	e.srp = func() int { return fake.Count("/appleauth/auth/signin/complete") }
	home := fake.HomeURL()
	if sc.HomeOrigin != "" {
		home = sc.HomeOrigin
	}
	newClient := func(string) (*icloudapi.Client, error) {
		return icloudapi.New(icloudapi.Options{AppleID: reauthAppleID, AuthURL: fake.AuthURL(),
			SetupURL: fake.SetupURL(), HomeURL: home, RootCAs: fake.CertPool(), Retries: 1})
	}
	var err error
	if e.live, err = newClient("alice"); err != nil {
		t.Fatal(err)
	}
	cloud := &agent.ICloud{Account: "alice", Client: e.live, Sessions: e.sessions, DB: openDB(t),
		Libraries: []string{"personal"}, Newest: 10,
		Password: func(context.Context) (string, error) {
			if e.password == "" {
				return "", credstore.ErrNotFound
			}
			return e.password, nil
		}}
	if e.agent, err = agent.New(t.Context(), agent.Options{Accounts: []agent.Account{{Name: "alice", Cloud: cloud}},
		Policy: checks.DefaultPolicy(), DB: openDB(t), Interval: time.Hour}); err != nil {
		t.Fatal(err)
	}
	ra, err := NewReAuthHandler(ReAuthOptions{Accounts: ReAuthenticators(e.agent, newClient),
		CSRF: WebCSRF(testToken), Agent: e.agent, Now: e.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	if e.h, err = NewHandler(ServerOptions{Agent: e.agent, Gatherer: prometheus.NewRegistry(),
		WebToken: testToken, ReAuth: ra}); err != nil {
		t.Fatal(err)
	}
	return e
}

// browser requests carry the session cookie a browser gets from ?token=.
func (e *reauthEnv) get(t *testing.T, path string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	w, _ := newWebAuth(testToken)
	r.Header.Set("Cookie", sessionCookie+"="+w.sessionValue())
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	return rec
}

func (e *reauthEnv) post(t *testing.T, path string, form url.Values, withCSRF bool) *httptest.ResponseRecorder {
	t.Helper()
	w, _ := newWebAuth(testToken)
	if withCSRF {
		form.Set(csrfField, w.CSRF())
	}
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Cookie", sessionCookie+"="+w.sessionValue())
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	return rec
}

// step posts a form and follows the redirect to the account page.
func (e *reauthEnv) step(t *testing.T, action string, form url.Values) string {
	t.Helper()
	rec := e.post(t, "/auth/alice/"+action, form, true)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/auth/alice" {
		t.Fatalf("POST %s: %d to %q, want 303 to /auth/alice; body %.300s", action, rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	page := e.get(t, "/auth/alice")
	if page.Code != http.StatusOK {
		t.Fatalf("GET /auth/alice after %s: %d", action, page.Code)
	}
	return page.Body.String()
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, body)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if u != "" && strings.Contains(body, u) {
			t.Errorf("%s contains %q", what, u)
		}
	}
}

// cycleAuth runs one daemon cycle and returns the account's auth verdict.
func (e *reauthEnv) cycleAuth(t *testing.T) checks.CheckResult {
	t.Helper()
	rep, err := e.agent.RunCycle(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	c, ok := rep.Check(checks.CheckAuth)
	if !ok {
		t.Fatal("the report has no auth check")
	}
	return c
}

func TestReAuthDeviceFlowRenewsTheDaemonsSession(t *testing.T) {
	e := newReauthEnv(t, true)
	before := e.cycleAuth(t)
	if before.Status != checks.StatusCritical {
		t.Fatalf("auth before the web sign-in: %s %q, want critical (2FA needed)", before.Status, before.Summary)
	}
	start := e.get(t, "/auth/alice")
	// Under the server-wide "no-referrer", browsers post forms with
	// "Origin: null", which the CSRF check refuses.
	if got := start.Header().Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("Referrer-Policy of the re-auth page: %q, want same-origin", got)
	}
	mustContain(t, "start page", start.Body.String(), "Sign in again: alice", before.Summary, "stored password is used",
		`name="csrf" value="`+WebCSRF(testToken)()+`"`)
	mustNotContain(t, "start page", start.Body.String(), `type="password"`)

	choose := e.step(t, "start", url.Values{})
	mustContain(t, "choice page", choose, `id="via-device"`, `id="via-sms-7"`, "•••-••42")
	code := e.step(t, "send", url.Values{"via": {"device"}})
	mustContain(t, "code page", code, "Apple sent a code to your trusted Apple devices", `name="code"`)
	if e.fake.LastCode() == "" {
		t.Fatal("the fake sent no code after the device request")
	}
	secret := e.fake.LastCode()
	done := e.step(t, "verify", url.Values{"code": {secret[:3] + " " + secret[3:]}})
	mustContain(t, "result page", done, `id="success"`, `href="/"`)
	mustNotContain(t, "result page", done, secret, reauthPassword)
	if e.sessions.saves == 0 {
		t.Error("the new session was not saved")
	}

	srp := e.srp()
	after := e.cycleAuth(t)
	if after.Status != checks.StatusOK {
		t.Errorf("auth in the cycle after the web sign-in: %s %q, want ok", after.Status, after.Summary)
	}
	if e.srp() != srp {
		t.Errorf("the next cycle signed in with SRP again (%d attempts); it should use the new session", e.srp()-srp)
	}

	// The trust token makes the next web sign-in code-free.
	e.clock.advance(2 * time.Minute)
	again := e.step(t, "start", url.Values{})
	mustContain(t, "second sign-in", again, `id="success"`)
}

func TestReAuthSMSWrongCodeThenRight(t *testing.T) {
	e := newReauthEnv(t, true)
	e.step(t, "start", url.Values{})
	code := e.step(t, "send", url.Values{"via": {"sms:7"}})
	mustContain(t, "code page", code, "Apple sent a code to the phone number", "•••-••42")
	right := e.fake.LastCode()
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	retry := e.step(t, "verify", url.Values{"code": {wrong}})
	mustContain(t, "page after a wrong code", retry, "did not accept the code", `name="code"`)
	mustNotContain(t, "page after a wrong code", retry, wrong)
	if e.sessions.saves != 0 {
		t.Error("a session was saved after a wrong code")
	}
	done := e.step(t, "verify", url.Values{"code": {right}})
	mustContain(t, "page after the right code", done, `id="success"`)
	if err := e.live.Authenticate(t.Context(), ""); err != nil {
		t.Errorf("the daemon's client cannot use the new session: %v", err)
	}
}

func TestReAuthPasswordFieldAndSignInGap(t *testing.T) {
	e := newReauthEnv(t, false)
	page := e.get(t, "/auth/alice").Body.String()
	mustContain(t, "start page without a stored password", page, `type="password"`, `name="password"`)

	bad := "not-the-password"
	res := e.step(t, "start", url.Values{"password": {bad}})
	mustContain(t, "page after a wrong password", res, "rejected the password", `type="password"`)
	mustNotContain(t, "page after a wrong password", res, bad)
	if n := e.srp(); n != 1 {
		t.Fatalf("SRP attempts after one wrong password: %d, want 1", n)
	}
	res = e.step(t, "start", url.Values{"password": {reauthPassword}})
	mustContain(t, "page of a second sign-in within a minute", res, "Please wait")
	if n := e.srp(); n != 1 {
		t.Errorf("a second sign-in within a minute reached Apple (%d SRP attempts)", n)
	}
	e.clock.advance(61 * time.Second)
	res = e.step(t, "start", url.Values{"password": {reauthPassword}})
	mustContain(t, "page after the gap", res, `id="via-device"`)
	mustNotContain(t, "choice page", res, reauthPassword)
}

func TestReAuthRateLimit(t *testing.T) {
	e := newReauthEnv(t, true)
	for i := range 5 {
		if rec := e.post(t, "/auth/alice/cancel", url.Values{}, true); rec.Code != http.StatusSeeOther {
			t.Fatalf("POST %d: %d, want 303", i+1, rec.Code)
		}
	}
	rec := e.post(t, "/auth/alice/start", url.Values{}, true)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("sixth POST in ten minutes: %d (Retry-After %q), want 429 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	mustContain(t, "429 page", rec.Body.String(), "Too many attempts")
	if n := e.srp(); n != 0 {
		t.Errorf("a rate-limited POST reached Apple (%d SRP attempts)", n)
	}
	e.clock.advance(10*time.Minute + time.Second)
	if rec := e.post(t, "/auth/alice/cancel", url.Values{}, true); rec.Code != http.StatusSeeOther {
		t.Errorf("POST after the window: %d, want 303", rec.Code)
	}
}

func TestReAuthRefusals(t *testing.T) {
	e := newReauthEnv(t, true)
	if rec := e.post(t, "/auth/alice/start", url.Values{}, false); rec.Code != http.StatusForbidden {
		t.Errorf("POST without csrf: %d, want 403", rec.Code)
	}
	if rec := e.post(t, "/auth/alice/start", url.Values{csrfField: {"forged"}}, false); rec.Code != http.StatusForbidden {
		t.Errorf("POST with a wrong csrf: %d, want 403", rec.Code)
	}
	if n := e.srp(); n != 0 {
		t.Errorf("refused POSTs reached Apple (%d SRP attempts)", n)
	}
	r := httptest.NewRequest(http.MethodGet, "/auth/alice", nil)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("GET without the web token: %d, want 401", rec.Code)
	}
	if rec := e.get(t, "/auth/bob"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown account: %d, want 404", rec.Code)
	}
	// Steps out of order are sent back to the start.
	page := e.step(t, "verify", url.Values{"code": {"123456"}})
	mustContain(t, "verify without a sign-in", page, "start again", `id="start"`)
	index := e.get(t, "/auth/").Body.String()
	mustContain(t, "index", index, `href="/auth/alice"`)
}

func TestReAuthFlowExpires(t *testing.T) {
	e := newReauthEnv(t, true)
	e.step(t, "start", url.Values{})
	e.clock.advance(flowTTL + time.Second)
	page := e.step(t, "send", url.Values{"via": {"device"}})
	mustContain(t, "send after expiry", page, "expired", `id="start"`)
}
