package fakeicloud

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func do(t *testing.T, s *Server, method, path string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL()+path, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestUnknownMutatingPathIsForbiddenAndLogged(t *testing.T) {
	s := New(Options{Scenario: Scenario{AppleID: "a@example.com", Password: "pw"}})
	defer s.Close()
	if got := do(t, s, http.MethodPost, "/database/1/com.apple.photos.cloud/production/private/records/modify"); got != http.StatusForbidden {
		t.Errorf("modify without Photos handler: status %d, want 403", got)
	}
	if got := do(t, s, http.MethodGet, "/nothing"); got != http.StatusNotFound {
		t.Errorf("unknown GET: status %d, want 404", got)
	}
	if n := s.Count("/database/1/com.apple.photos.cloud/production/private/records/modify"); n != 1 {
		t.Errorf("request log counted %d modify requests, want 1", n)
	}
}

func TestPhotosHandlerNeedsWebSession(t *testing.T) {
	called := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called++ })
	s := New(Options{Scenario: Scenario{AppleID: "a@example.com", Password: "pw"}, Photos: h})
	defer s.Close()
	if got := do(t, s, http.MethodPost, "/database/1/com.apple.photos.cloud/production/private/records/query"); got != http.StatusUnauthorized {
		t.Errorf("query without session: status %d, want 401", got)
	}
	if called != 0 {
		t.Errorf("Photos handler called %d times without a session", called)
	}
}

func TestFaultAnswersThenClears(t *testing.T) {
	s := New(Options{Scenario: Scenario{AppleID: "a@example.com", Password: "pw",
		Faults: map[string]Fault{"/setup/ws/1/validate": {Status: 503, RetryAfter: "7", Times: 1}}}})
	defer s.Close()
	if got := do(t, s, http.MethodPost, "/setup/ws/1/validate"); got != 503 {
		t.Errorf("first validate: %d, want 503", got)
	}
	if got := do(t, s, http.MethodPost, "/setup/ws/1/validate"); got != http.StatusMisdirectedRequest {
		t.Errorf("second validate: %d, want 421 (no session)", got)
	}
}
