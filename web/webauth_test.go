package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testToken = "0123456789abcdef0123456789abcdef"

func guarded(t *testing.T) (*webAuth, http.Handler) {
	t.Helper()
	w, err := newWebAuth(testToken)
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { rw.WriteHeader(http.StatusTeapot) })
	return w, w.middleware(ok)
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestWebAuthRefusesWithoutToken(t *testing.T) {
	_, h := guarded(t)
	for _, target := range []string{"/", "/api/status", "/auth/alice"} {
		rec := serve(h, httptest.NewRequest(http.MethodGet, target, nil))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without token: %d, want 401", target, rec.Code)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/api/status", nil)
	r.Header.Set("Authorization", "Bearer wrong-token-wrong-token")
	if rec := serve(h, r); rec.Code != http.StatusUnauthorized {
		t.Errorf("wrong bearer token: %d, want 401", rec.Code)
	}
}

func TestWebAuthBearer(t *testing.T) {
	_, h := guarded(t)
	r := httptest.NewRequest(http.MethodPost, "/api/check", nil)
	r.Header.Set("Authorization", "Bearer "+testToken)
	if rec := serve(h, r); rec.Code != http.StatusTeapot {
		t.Errorf("POST with bearer token: %d, want it passed through", rec.Code)
	}
}

func TestWebAuthQueryTokenSetsCookieAndStripsToken(t *testing.T) {
	w, h := guarded(t)
	rec := serve(h, httptest.NewRequest(http.MethodGet, "/?token="+testToken+"&x=1", nil))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("GET ?token=: %d, want 303", rec.Code)
	}
	loc := rec.Header().Get("Location")
	if strings.Contains(loc, testToken) || !strings.Contains(loc, "x=1") {
		t.Errorf("redirect to %q: must drop the token and keep other parameters", loc)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Value != w.sessionValue() || strings.Contains(cookies[0].Value, testToken) {
		t.Fatalf("cookies %v: want one session cookie not containing the token", cookies)
	}
	if !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Error("session cookie must be HttpOnly and SameSite=Strict")
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(cookies[0])
	if rec := serve(h, r); rec.Code != http.StatusTeapot {
		t.Errorf("GET with the session cookie: %d, want it passed through", rec.Code)
	}
	if rec := serve(h, httptest.NewRequest(http.MethodGet, "/?token=not-the-token", nil)); rec.Code != http.StatusUnauthorized {
		t.Errorf("GET with a wrong ?token=: %d, want 401", rec.Code)
	}
}

func TestWebAuthCSRF(t *testing.T) {
	w, h := guarded(t)
	post := func(form url.Values, origin string) int {
		r := httptest.NewRequest(http.MethodPost, "/auth/alice", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: w.sessionValue()})
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		return serve(h, r).Code
	}
	if code := post(url.Values{}, ""); code != http.StatusForbidden {
		t.Errorf("POST with cookie but no csrf field: %d, want 403", code)
	}
	if code := post(url.Values{csrfField: {"forged"}}, ""); code != http.StatusForbidden {
		t.Errorf("POST with a forged csrf field: %d, want 403", code)
	}
	if code := post(url.Values{csrfField: {w.CSRF()}}, "https://evil.example"); code != http.StatusForbidden {
		t.Errorf("POST from another origin: %d, want 403", code)
	}
	if code := post(url.Values{csrfField: {w.CSRF()}}, "http://example.com"); code != http.StatusTeapot {
		t.Errorf("POST with the right csrf field and origin: %d, want it passed through", code)
	}
}

func TestWebTokenTooShort(t *testing.T) {
	if _, err := newWebAuth("short"); err == nil {
		t.Error("a 5-character web token was accepted")
	}
}

func TestLoadOrCreateWebToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "web-token")
	tok, created, err := LoadOrCreateWebToken(path)
	if err != nil || !created || len(tok) < 32 {
		t.Fatalf("first call: token len %d created %v err %v", len(tok), created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v (err %v), want 0600", fi.Mode().Perm(), err)
	}
	again, created, err := LoadOrCreateWebToken(path)
	if err != nil || created || again != tok {
		t.Errorf("second call returned a different token or created=%v err=%v", created, err)
	}
	if err := os.WriteFile(path, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateWebToken(path); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty token file: err %v, want it called empty", err)
	}
}

func TestWebAuthRedirectStaysLocal(t *testing.T) {
	_, h := guarded(t)
	r := httptest.NewRequest(http.MethodGet, "/?token="+testToken, nil)
	r.URL.Path = "//evil.example/x"
	rec := serve(h, r)
	if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, "/evil.example/x") {
		t.Errorf("redirect to %q: must be a local path, never protocol-relative", loc)
	}
}
