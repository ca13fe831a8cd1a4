package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestUnauthorizedPageTellsHowToGetTheToken: the 401 page is a styled page
// with a field to paste the token, the docker cp command that prints it,
// and the file outside a container; the way that fits where icloudmon
// runs comes first.
func TestUnauthorizedPageTellsHowToGetTheToken(t *testing.T) {
	_, h := guarded(t)
	old := inContainer
	t.Cleanup(func() { inContainer = old })
	const dockerCmd = "docker cp icloudmon:/data/web-token - | tar -xO"
	for _, in := range []bool{true, false} {
		inContainer = func() bool { return in }
		rec := serve(h, httptest.NewRequest(http.MethodGet, "/auth/alice", nil))
		body := rec.Body.String()
		if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		for _, want := range []string{"<style>", `name="token"`, `<form method="get">`, dockerCmd, "web-token", "data_dir"} {
			if !strings.Contains(body, want) {
				t.Errorf("in container %v: the page lacks %q", in, want)
			}
		}
		docker, host := strings.Index(body, "runs in Docker"), strings.Index(body, "runs directly on a computer")
		if in != (docker < host) {
			t.Errorf("in container %v: Docker at %d, host at %d", in, docker, host)
		}
		if strings.Contains(body, testToken) {
			t.Fatal("the page shows the token")
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("CSP %q", csp)
		}
	}
	// The pasted token (the form's GET) signs the browser in.
	rec := serve(h, httptest.NewRequest(http.MethodGet, "/auth/alice?token="+testToken, nil))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/auth/alice" {
		t.Errorf("pasted token: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
}
