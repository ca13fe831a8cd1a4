package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/icloudmon/icloudmon/agent"
	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/metrics"
)

type testServer struct {
	agent *agent.Agent
	sched *agent.Scheduler
	h     http.Handler
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(t.Context(), agent.Options{
		Accounts: []agent.Account{{Name: "alice", Cloud: stubCloud{healthyCloud},
			Folders: []agent.FolderSource{stubFolder{missing: map[string]bool{"b": true}}}}},
		Policy: checks.DefaultPolicy(), DB: openDB(t), Metrics: m, Interval: time.Hour,
		Now: func() time.Time { return cycleNow }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.RunCycle(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	sched := &agent.Scheduler{Interval: time.Hour, Cycle: func(context.Context, string) {}}
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(func() { cancel(); sched.Wait() })
	sched.Start(ctx, a.AccountNames())
	h, err := NewHandler(ServerOptions{Agent: a, Scheduler: sched, Gatherer: reg, WebToken: testToken})
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{agent: a, sched: sched, h: h}
}

func (s *testServer) do(method, target string, body url.Values, header map[string]string) *httptest.ResponseRecorder {
	var r *http.Request
	if body != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(body.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, r)
	return rec
}

var bearer = map[string]string{"Authorization": "Bearer " + testToken}

func TestServerOpenEndpoints(t *testing.T) {
	s := newTestServer(t)
	rec := s.do(http.MethodGet, "/metrics", nil, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `icloudmon_check_status{account="alice",check="local_copy"}`) {
		t.Errorf("/metrics: %d, body lacks the local_copy status of alice:\n%.500s", rec.Code, rec.Body)
	}
	if rec := s.do(http.MethodGet, "/healthz", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("/healthz after a cycle: %d, want 200", rec.Code)
	}
}

func TestServerGuardedEndpointsNeedToken(t *testing.T) {
	s := newTestServer(t)
	for _, c := range []struct{ method, target string }{
		{http.MethodGet, "/"}, {http.MethodGet, "/api/status"}, {http.MethodPost, "/api/check"},
	} {
		if rec := s.do(c.method, c.target, nil, nil); rec.Code != http.StatusUnauthorized {
			t.Errorf("%s %s without token: %d, want 401", c.method, c.target, rec.Code)
		}
	}
}

func TestServerAPIStatusSchema(t *testing.T) {
	s := newTestServer(t)
	rec := s.do(http.MethodGet, "/api/status", nil, bearer)
	if rec.Code != http.StatusOK {
		t.Fatalf("/api/status: %d", rec.Code)
	}
	var doc struct {
		Status    string `json:"status"`
		CheckedAt string `json:"checked_at"`
		Accounts  []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Checks []struct {
				ID, Status, Summary string
			} `json:"checks"`
			Observed map[string]any `json:"observed"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.Status == "" || doc.CheckedAt != "2026-11-22T10:00:00Z" || len(doc.Accounts) != 1 || len(doc.Accounts[0].Checks) != 9 {
		t.Errorf("unexpected status document: %s", rec.Body)
	}
	if _, ok := doc.Accounts[0].Observed["icloud_newest_added"]; !ok {
		t.Errorf("observed lacks icloud_newest_added: %v", doc.Accounts[0].Observed)
	}
}

func TestServerStatusPage(t *testing.T) {
	s := newTestServer(t)
	// Open once with ?token= like a phone browser, then follow with the cookie.
	rec := s.do(http.MethodGet, "/?token="+testToken, nil, nil)
	cookie := rec.Result().Cookies()[0]
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(cookie)
	page := httptest.NewRecorder()
	s.h.ServeHTTP(page, r)
	body := page.Body.String()
	for _, want := range []string{"alice", "local_copy", "Missing locally", "IMG_0002.HEIC", "<svg", `name="csrf"`} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if strings.Contains(body, testToken) {
		t.Error("status page contains the web token")
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Error("status page references an external asset")
	}
}

func TestServerCheckNow(t *testing.T) {
	s := newTestServer(t)
	if rec := s.do(http.MethodPost, "/api/check?account=nobody", nil, bearer); rec.Code != http.StatusNotFound {
		t.Errorf("check for an unknown account: %d, want 404", rec.Code)
	}
	rec := s.do(http.MethodPost, "/api/check", nil, bearer)
	if rec.Code != http.StatusAccepted && rec.Code != http.StatusTooManyRequests {
		t.Errorf("POST /api/check: %d, want 202 or 429", rec.Code)
	}
	session := s.agentSessionCookie()
	// A browser form without the CSRF field is refused.
	if rec := s.do(http.MethodPost, "/api/check", url.Values{}, map[string]string{"Cookie": session}); rec.Code != http.StatusForbidden {
		t.Errorf("form post without csrf: %d, want 403", rec.Code)
	}
	// With it, the browser is sent back to the status page with a notice.
	form := url.Values{csrfField: {s.auth().CSRF()}}
	rec = s.do(http.MethodPost, "/api/check", form, map[string]string{"Cookie": session})
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/?notice=") {
		t.Errorf("form post with csrf: %d to %q, want 303 to the status page", rec.Code, loc)
	}
}

func (s *testServer) auth() *webAuth {
	w, _ := newWebAuth(testToken)
	return w
}

func (s *testServer) agentSessionCookie() string {
	return sessionCookie + "=" + s.auth().sessionValue()
}
