package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
	"github.com/icloudmon/icloudmon/web"
)

// The daemon's wiring: a cycle needs 2FA, the web pages renew the session,
// and the next cycle of the same agent signs in with it, without SRP.
func TestReAuthWiringRenewsTheDaemon(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 5, Assets: 20})
	e := newLoginEnvWith(t, fakeicloud.Options{Scenario: twoFA, Photos: fakeicloud.NewPhotosHandler(lib)}, fakePassword)
	cfg, err := configs.Load(e.config, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rt, err := build(t.Context(), cfg, slog.New(slog.DiscardHandler), buildOptions{noNotify: true, sessions: credstore.ModeFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	if auth := wiredCycleAuth(t, rt); auth.Status != checks.StatusCritical {
		t.Fatalf("first cycle auth: %s %q, want critical (2FA needed)", auth.Status, auth.Summary)
	}
	const token = "0123456789abcdef-web-token"
	// As startDaemon wires it (minus the scheduler).
	reauth, err := web.NewReAuthHandler(web.ReAuthOptions{Accounts: web.ReAuthenticators(rt.agent, rt.newClient),
		CSRF: web.WebCSRF(token), Agent: rt.agent})
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.NewHandler(web.ServerOptions{Agent: rt.agent, Gatherer: rt.reg, WebToken: token, ReAuth: reauth})
	if err != nil {
		t.Fatal(err)
	}
	post := func(step string, form url.Values) {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/auth/a/"+step, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("POST %s: %d, want 303", step, rec.Code)
		}
	}
	post("start", url.Values{})
	post("send", url.Values{"via": {"device"}})
	post("verify", url.Values{"code": {e.fake.LastCode()}})
	r := httptest.NewRequest(http.MethodGet, "/auth/a", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if body, _ := io.ReadAll(rec.Body); !strings.Contains(string(body), `id="success"`) {
		t.Fatalf("the re-auth flow did not end in success:\n%s", body)
	}
	srp := e.fake.Count("/appleauth/auth/signin/complete")
	if auth := wiredCycleAuth(t, rt); auth.Status != checks.StatusOK {
		t.Errorf("cycle after the web sign-in: %s %q, want ok", auth.Status, auth.Summary)
	}
	if got := e.fake.Count("/appleauth/auth/signin/complete"); got != srp {
		t.Errorf("the cycle after the web sign-in made %d SRP attempts, want 0", got-srp)
	}
}

func wiredCycleAuth(t *testing.T, rt *app) checks.CheckResult {
	t.Helper()
	rep, err := rt.agent.RunCycle(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := rep.Check(checks.CheckAuth)
	return c
}
