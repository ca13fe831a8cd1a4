package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/icloudmon/icloudmon/credstore"
)

// The web token protects everything but /metrics and /healthz (design §5).
// Scripts send it as "Authorization: Bearer <token>". A browser opens any
// page once with ?token=<token>; the server then sets a cookie holding a
// value derived from the token (never the token itself) and redirects to
// the same URL without the token, so it does not linger in the history.
// Forms carry a CSRF field derived from that cookie, and cookies are
// SameSite=Strict and HttpOnly.
const (
	sessionCookie = "icloudmon_session"
	csrfField     = "csrf"
	tokenParam    = "token"
)

// webAuth checks requests against the web token.
type webAuth struct {
	token []byte
}

func newWebAuth(token string) (*webAuth, error) {
	if len(token) < 16 {
		return nil, errors.New("web token is shorter than 16 characters; set web.token_file to a longer random token or leave it empty to have one generated")
	}
	return &webAuth{token: []byte(token)}, nil
}

// derive returns a hex HMAC of purpose under the token; the cookie value
// and CSRF fields are derived this way so that they reveal nothing of the
// token itself.
func (w *webAuth) derive(purpose string) string {
	m := hmac.New(sha256.New, w.token)
	m.Write([]byte(purpose))
	return hex.EncodeToString(m.Sum(nil))
}

func (w *webAuth) sessionValue() string { return w.derive("browser-session") }

// CSRF returns the value forms must echo in their csrf field.
func (w *webAuth) CSRF() string { return w.derive("csrf") }

func (w *webAuth) validToken(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), w.token) == 1
}

// authorized reports whether r carries the token or a valid session cookie.
func (w *webAuth) authorized(r *http.Request) bool {
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return w.validToken(strings.TrimSpace(bearer))
	}
	c, err := r.Cookie(sessionCookie)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(w.sessionValue())) == 1
}

// checkCSRF verifies a state-changing browser request. Requests with a
// bearer token are not sent by browsers on their own and need no CSRF
// field.
func (w *webAuth) checkCSRF(r *http.Request) bool {
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return true
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	got := r.PostFormValue(csrfField)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(w.CSRF())) == 1
}

// middleware guards next. A valid ?token= sets the session cookie and
// redirects to the clean URL; anything else without credentials gets 401
// with a short page telling how to get in.
func (w *webAuth) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get(tokenParam); tok != "" {
			w.acceptQueryToken(rw, r, tok)
			return
		}
		if !w.authorized(r) {
			unauthorized(rw, r)
			return
		}
		if r.Method == http.MethodPost && !w.checkCSRF(r) {
			http.Error(rw, "forbidden: the form is stale or came from another site; reload the page and try again", http.StatusForbidden)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

func (w *webAuth) acceptQueryToken(rw http.ResponseWriter, r *http.Request, tok string) {
	if !w.validToken(tok) {
		unauthorized(rw, r)
		return
	}
	// Secure only over TLS: most homelab installs serve plain HTTP on the LAN.
	http.SetCookie(rw, &http.Cookie{ //nolint:gosec // G124: Secure is set whenever the request came over TLS

		Name: sessionCookie, Value: w.sessionValue(), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
		MaxAge: int((90 * 24 * time.Hour).Seconds()),
	})
	q := r.URL.Query()
	q.Del(tokenParam)
	// Always a local path: "//host" would be a protocol-relative redirect.
	target := (&url.URL{Path: "/" + strings.TrimLeft(r.URL.Path, "/"), RawQuery: q.Encode()}).RequestURI()
	http.Redirect(rw, r, target, http.StatusSeeOther) //nolint:gosec // G710: target is a local path, see above
}

func unauthorized(rw http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintln(rw, `{"error":"unauthorized: send the web token as 'Authorization: Bearer <token>'"}`)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	rw.Header().Set("Cache-Control", "no-store")
	rw.WriteHeader(http.StatusUnauthorized)
	_ = unauthorizedPage().Execute(rw, struct{ InContainer bool }{inContainer()}) // the client may have gone
}

// inContainer says whether the agent runs in a container, to put the way
// to get the token there first; replaceable by tests.
var inContainer = credstore.InContainer

// unauthorizedPage tells a person how to get the web token, where
// icloudmon runs, and lets them paste it (the form sends ?token=, which
// sets the cookie and leaves the token out of the address).
var unauthorizedPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("401").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>icloudmon — web token needed</title>
<style>
:root{--bg:#f6f8fa;--card:#fff;--fg:#1f2328;--muted:#57606a;--accent:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--fg:#e6edf3;--muted:#8d96a0;--accent:#4493f8}}
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:var(--bg);color:var(--fg)}
main{max-width:560px;margin:0 auto;padding:16px}
.card{background:var(--card);border-radius:10px;padding:18px;box-shadow:0 1px 3px #0002}
h1{font-size:20px;margin:0 0 8px}
h2{font-size:16px;margin:16px 0 4px}
p{margin:8px 0}
.muted{color:var(--muted);font-size:14px}
pre{background:var(--bg);padding:8px 10px;border-radius:6px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
label{display:block;margin:12px 0 4px;font-weight:600}
input{box-sizing:border-box;width:100%;font:inherit;padding:10px;border-radius:6px;border:1px solid #8888;background:var(--bg);color:var(--fg)}
button{display:block;box-sizing:border-box;width:100%;margin:10px 0 0;font:inherit;padding:12px;border-radius:8px;border:none;background:var(--accent);color:#fff;cursor:pointer}
</style>
</head>
<body>
<main>
<div class="card">
<h1>This page needs the icloudmon web token</h1>
<p>icloudmon created a random token when it first started and keeps it in the file <code>web-token</code> in its data directory (or in <code>web.token_file</code> when that is set). Paste it below once; this browser then stays signed in for 90 days.</p>
<form method="get">
<label for="token">Web token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<button type="submit">Open</button>
</form>
{{define "docker"}}<h2>icloudmon runs in Docker</h2>
<p>On the machine that runs the container (named <code>icloudmon</code> here), print the token with:</p>
<pre>docker cp icloudmon:/data/web-token - | tar -xO</pre>
<p class="muted">With Podman use <code>podman cp</code>; with another container name or data directory change <code>icloudmon:/data</code>.</p>{{end}}
{{define "host"}}<h2>icloudmon runs directly on a computer</h2>
<p>On that computer, print the file <code>web-token</code> in the data directory (<code>data_dir</code>; <code>icloudmon config check</code> shows it):</p>
<pre>cat "$(icloudmon config check | sed -n 's/^data_dir: //p')/web-token"</pre>{{end}}
{{if .InContainer}}{{template "docker"}}{{template "host"}}{{else}}{{template "host"}}{{template "docker"}}{{end}}
<p class="muted">Scripts send the token as <code>Authorization: Bearer &lt;token&gt;</code>. <code>/metrics</code> and <code>/healthz</code> need no token.</p>
</div>
</main>
</body>
</html>
`))
})

// LoadOrCreateWebToken returns the token from path, creating a random one
// (mode 0600) when the file does not exist. It never logs the token.
func LoadOrCreateWebToken(path string) (token string, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		tok := strings.TrimSpace(string(data))
		if tok == "" {
			return "", false, fmt.Errorf("web token file %s is empty; delete it to have a new token generated", path)
		}
		return tok, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("reading web token: %w", err)
	}
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", false, fmt.Errorf("generating web token: %w", err)
	}
	tok := hex.EncodeToString(buf)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, fmt.Errorf("creating the directory for the web token: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadOrCreateWebToken(path) // another process created it first
	}
	if err != nil {
		return "", false, fmt.Errorf("storing the web token (is data_dir writable?): %w", err)
	}
	_, werr := f.WriteString(tok + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", false, fmt.Errorf("storing the web token: %w", werr)
	}
	return tok, true, nil
}
