package icloudapi

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func cookieNames(cs []*http.Cookie) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name+"="+c.Value)
	}
	return strings.Join(out, ";")
}

func TestCookieJarScoping(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	j := &cookieJar{now: func() time.Time { return now }}
	setup := mustParseURL(t, "https://setup.icloud.com/setup/ws/1/accountLogin")
	j.SetCookies(setup, []*http.Cookie{
		{Name: "WEB", Value: "v=2:t=x", Quoted: true, Domain: ".icloud.com", Path: "/", Secure: true, Expires: now.Add(time.Hour)},
		{Name: "HOST", Value: "h"},                                            // host-only, default path /setup/ws/1
		{Name: "EVIL", Value: "e", Domain: "apple.com"},                       // foreign domain: refused
		{Name: "OLD", Value: "o", Domain: "icloud.com", Expires: now.Add(-1)}, // already expired
	})
	tests := []struct {
		url, want string
	}{
		{"https://p61-ckdatabasews.icloud.com/database/1/x", "WEB=v=2:t=x"},
		{"http://p61-ckdatabasews.icloud.com/", ""}, // Secure cookie not sent over http
		{"https://setup.icloud.com/setup/ws/1/validate", "WEB=v=2:t=x;HOST=h"},
		{"https://setup.icloud.com/other", "WEB=v=2:t=x"},
		{"https://idmsa.apple.com/appleauth/auth", ""},
		{"https://evilicloud.com/", ""},
	}
	for _, tc := range tests {
		if got := cookieNames(j.Cookies(mustParseURL(t, tc.url))); got != tc.want {
			t.Errorf("Cookies(%s) = %q, want %q", tc.url, got, tc.want)
		}
	}
	if got := j.Cookies(mustParseURL(t, "https://www.icloud.com/"))[0]; !got.Quoted {
		t.Error("quoted flag lost")
	}
	now = now.Add(2 * time.Hour)
	if got := cookieNames(j.Cookies(mustParseURL(t, "https://www.icloud.com/"))); got != "" {
		t.Errorf("expired cookie still sent: %q", got)
	}
}

func TestCookieJarEmptyValueDeletes(t *testing.T) {
	j := &cookieJar{now: time.Now}
	u := mustParseURL(t, "https://setup.icloud.com/")
	j.SetCookies(u, []*http.Cookie{{Name: "HSA-LOGIN", Value: "x", Domain: "icloud.com", Path: "/"}})
	j.SetCookies(u, []*http.Cookie{{Name: "HSA-LOGIN", Value: "", Domain: "icloud.com", Path: "/", Expires: time.Unix(0, 0)}})
	if n := len(j.snapshot()); n != 0 {
		t.Fatalf("%d cookies left after deletion", n)
	}
}

func TestSessionBlobRoundTripIsExact(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{Require2FA: true, HasTrustedDevices: true})
	ctx := context.Background()
	c := e.client(nil)
	_ = c.SignIn(ctx, testPassword)
	if err := c.RequestDeviceCode(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.SubmitCode(ctx, e.srv.LastCode()); err != nil {
		t.Fatal(err)
	}
	c.rejectPassword("old password")
	first := sessionBlob(t, c)
	restored := e.client(first)
	second := sessionBlob(t, restored)
	if !bytes.Equal(first, second) {
		t.Fatalf("blob changed in a round trip:\n%s", cmp.Diff(string(first), string(second)))
	}
	s := restored.sess
	if s.TrustToken == "" || s.SessionToken == "" || s.SCNT == "" || s.SessionID == "" || s.AuthAttributes == "" ||
		s.DSID == "" || len(s.Attempts)+len(s.SignIns) != 1 || s.Rejected == nil || !strings.HasPrefix(s.ClientID, "auth-") {
		t.Errorf("restored session misses fields: %+v", s)
	}
	var trust storedCookie
	for _, ck := range restored.jar.snapshot() {
		if ck.Name == "X-APPLE-WEBAUTH-HSA-TRUST" {
			trust = ck
		}
	}
	if trust.Domain == "" || trust.Path != "/" || trust.Expires.IsZero() || !trust.Quoted || !trust.Secure {
		t.Errorf("trust cookie attributes lost: %+v", trust)
	}
	if bytes.Contains(first, []byte("old password")) {
		t.Error("rejected password stored in clear")
	}
}

func TestRestoreSessionRefusesBadBlobs(t *testing.T) {
	c, err := New(Options{AppleID: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := New(Options{AppleID: "b@example.com"})
	otherBlob, _ := other.MarshalSession()
	for name, b := range map[string][]byte{
		"corrupt":       []byte("{not json"),
		"other account": otherBlob,
		"version":       []byte(`{"v":99,"account":"a@example.com"}`),
	} {
		if err := c.RestoreSession(b); err == nil || !strings.Contains(err.Error(), "icloudmon login") {
			t.Errorf("%s: err = %v, want a refusal that says what to do", name, err)
		}
	}
}

func TestFingerprint(t *testing.T) {
	f := newFingerprint("secret")
	if !f.matches("secret") || f.matches("Secret") || f.matches("") {
		t.Error("fingerprint matching is wrong")
	}
	var none *pwFingerprint
	if none.matches("secret") {
		t.Error("nil fingerprint matched")
	}
	if g := newFingerprint("secret"); bytes.Equal(g.Sum, f.Sum) {
		t.Error("fingerprints are not salted")
	}
}
