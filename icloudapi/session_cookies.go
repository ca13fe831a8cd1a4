package icloudapi

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// storedCookie is one cookie with everything needed to replay it after a
// restart: net/http/cookiejar cannot be exported, so this jar is our own.
type storedCookie struct {
	Name     string    `json:"name"`
	Value    string    `json:"value"`
	Quoted   bool      `json:"quoted,omitempty"`
	Domain   string    `json:"domain"` // without leading dot
	HostOnly bool      `json:"host_only,omitempty"`
	Path     string    `json:"path"`
	Expires  time.Time `json:"expires,omitzero"` // zero: session cookie
	Secure   bool      `json:"secure,omitempty"`
	HTTPOnly bool      `json:"http_only,omitempty"`
}

// cookieJar is a small RFC 6265 jar (domain, path, expiry, secure) whose
// contents can be listed and restored. An empty value deletes a cookie, as
// Apple uses `NAME=;Expires=1970…` for that.
type cookieJar struct {
	mu      sync.Mutex
	now     func() time.Time
	cookies []storedCookie
}

var _ http.CookieJar = (*cookieJar)(nil)

// SetCookies implements http.CookieJar.
func (j *cookieJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	host := canonicalHost(u.Host)
	for _, c := range cookies {
		sc, ok := newStoredCookie(host, u.Path, c, now)
		if !ok {
			continue
		}
		j.remove(sc.Name, sc.Domain, sc.Path)
		if sc.Value == "" || (!sc.Expires.IsZero() && !sc.Expires.After(now)) {
			continue
		}
		j.cookies = append(j.cookies, sc)
	}
}

// newStoredCookie applies the domain and path rules; ok is false when the
// cookie may not be set by this host.
func newStoredCookie(host, reqPath string, c *http.Cookie, now time.Time) (storedCookie, bool) {
	sc := storedCookie{Name: c.Name, Value: c.Value, Quoted: c.Quoted, Path: c.Path,
		Secure: c.Secure, HTTPOnly: c.HttpOnly, Expires: c.Expires}
	switch {
	case c.MaxAge < 0:
		sc.Expires = time.Unix(1, 0)
	case c.MaxAge > 0:
		sc.Expires = now.Add(time.Duration(c.MaxAge) * time.Second)
	}
	if !sc.Expires.IsZero() {
		sc.Expires = sc.Expires.UTC()
	}
	if sc.Path == "" || sc.Path[0] != '/' {
		sc.Path = defaultPath(reqPath)
	}
	d := strings.TrimPrefix(strings.ToLower(c.Domain), ".")
	if d == "" {
		sc.Domain, sc.HostOnly = host, true
		return sc, true
	}
	if !domainMatch(host, d) {
		return sc, false
	}
	sc.Domain = d
	return sc, true
}

// Cookies implements http.CookieJar.
func (j *cookieJar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	host := canonicalHost(u.Host)
	path := u.Path
	if path == "" {
		path = "/"
	}
	var out []*http.Cookie
	for _, sc := range j.cookies {
		if !sc.sendTo(host, path, u.Scheme == "https", now) {
			continue
		}
		// A request cookie: attributes are not sent, only name and value.
		out = append(out, &http.Cookie{Name: sc.Name, Value: sc.Value, Quoted: sc.Quoted}) //nolint:gosec // G124 applies to Set-Cookie only
	}
	return out
}

func (sc storedCookie) sendTo(host, path string, https bool, now time.Time) bool {
	if !sc.Expires.IsZero() && !sc.Expires.After(now) {
		return false
	}
	if sc.Secure && !https {
		return false
	}
	if sc.HostOnly && host != sc.Domain || !sc.HostOnly && !domainMatch(host, sc.Domain) {
		return false
	}
	return pathMatch(path, sc.Path)
}

func (j *cookieJar) remove(name, domain, path string) {
	kept := j.cookies[:0]
	for _, c := range j.cookies {
		if c.Name != name || c.Domain != domain || c.Path != path {
			kept = append(kept, c)
		}
	}
	j.cookies = kept
}

// snapshot returns a copy of the live cookies (expired ones are dropped).
func (j *cookieJar) snapshot() []storedCookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	out := make([]storedCookie, 0, len(j.cookies))
	for _, c := range j.cookies {
		if c.Expires.IsZero() || c.Expires.After(now) {
			out = append(out, c)
		}
	}
	return out
}

func (j *cookieJar) restore(cs []storedCookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.cookies = append([]storedCookie(nil), cs...)
}

// find returns the value of the first live cookie called name.
func (j *cookieJar) find(name string) (storedCookie, bool) {
	for _, c := range j.snapshot() {
		if c.Name == name {
			return c, true
		}
	}
	return storedCookie{}, false
}

func canonicalHost(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// domainMatch reports whether host is domain or a subdomain of it. IP
// addresses only match themselves.
func domainMatch(host, domain string) bool {
	if host == domain {
		return true
	}
	if net.ParseIP(host) != nil {
		return false
	}
	return strings.HasSuffix(host, "."+domain)
}

func pathMatch(reqPath, cookiePath string) bool {
	if reqPath == cookiePath || cookiePath == "/" {
		return true
	}
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}

func defaultPath(p string) string {
	i := strings.LastIndex(p, "/")
	if p == "" || p[0] != '/' || i <= 0 {
		return "/"
	}
	return p[:i]
}
