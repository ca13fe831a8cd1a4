package icloudapi

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-resty/resty/v2"
	"go.yaml.in/yaml/v3"
)

// Recorded icloudpd cassettes (MIT, see testdata/auth/LICENSE.md). Their SRP
// values are sanitised, so they test decoding and mapping, not the maths.

type authInteraction struct {
	Request struct {
		Method string `yaml:"method"`
		URI    string `yaml:"uri"`
	} `yaml:"request"`
	Response struct {
		Body struct {
			String yaml.Node `yaml:"string"`
		} `yaml:"body"`
		Headers map[string][]string `yaml:"headers"`
		Status  struct {
			Code int `yaml:"code"`
		} `yaml:"status"`
	} `yaml:"response"`
}

func (it authInteraction) body() []byte { return []byte(it.Response.Body.String.Value) }

func (it authInteraction) header() http.Header {
	h := http.Header{}
	for k, vs := range it.Response.Headers {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return h
}

// resty turns the recorded answer into the response type the client maps.
func (it authInteraction) resty() *resty.Response {
	r := &resty.Response{RawResponse: &http.Response{StatusCode: it.Response.Status.Code, Header: it.header()}}
	return r.SetBody(it.body())
}

func loadAuthCassette(t testing.TB, name string) []authInteraction {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "auth", name+".yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Interactions []authInteraction `yaml:"interactions"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c.Interactions
}

// find returns the n-th (0-based) authInteraction whose URI contains path.
func findAuth(t *testing.T, its []authInteraction, path string, n int) authInteraction {
	t.Helper()
	for _, it := range its {
		if strings.Contains(it.Request.URI, path) {
			if n == 0 {
				return it
			}
			n--
		}
	}
	t.Fatalf("no authInteraction for %s", path)
	return authInteraction{}
}

func fixtureClient(t *testing.T, now time.Time) *Client {
	t.Helper()
	c, err := New(Options{AppleID: "jdoe@gmail.com", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFixtureSigninInitDecodes(t *testing.T) {
	for _, name := range []string{"auth_requires_2fa", "failed_auth", "auth_non_2fa", "2fa_flow_valid_code"} {
		it := findAuth(t, loadAuthCassette(t, name), "/signin/init", 0)
		var r signinInitResponse
		if err := decodeBody("signin_init", it.body(), &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Iteration != 20064 || r.Protocol != "s2k" || r.Salt == "" || r.B == "" || len(r.C) == 0 {
			t.Errorf("%s: init = %+v", name, r)
		}
	}
}

func TestFixtureHeadersAreHarvested(t *testing.T) {
	its := loadAuthCassette(t, "2fa_flow_valid_code")
	c := fixtureClient(t, time.Now())
	c.harvest(findAuth(t, its, "/signin/complete", 0).header())
	c.harvest(findAuth(t, its, "/2sv/trust", 0).header())
	s := c.sess
	if s.TrustToken != "2svtoken-1234567890" || s.SessionToken != "sessiontoken-1234567890" || s.SessionID != "session-1234567890" ||
		s.SCNT != "scnt-1234567890" || s.AuthAttributes != "attr-1234567890" || s.AccountCountry != "USA" {
		t.Errorf("harvested session = %+v", s)
	}
}

func TestFixtureAccountLoginStates(t *testing.T) {
	tests := []struct {
		cassette, path string
		n              int
		kind           error
	}{
		{"auth_requires_2fa", "/accountLogin", 0, ErrReauthRequired},
		{"2fa_flow_valid_code", "/accountLogin", 0, ErrReauthRequired},
		{"2fa_flow_valid_code", "/accountLogin", 1, nil},
		{"successful_auth", "/validate", 0, nil},
		{"auth_non_2fa", "/accountLogin", 0, nil},
	}
	for _, tc := range tests {
		it := findAuth(t, loadAuthCassette(t, tc.cassette), tc.path, tc.n)
		var r accountLoginResponse
		if err := decodeBody("account_login", it.body(), &r); err != nil {
			t.Fatalf("%s: %v", tc.cassette, err)
		}
		err := r.check("account_login")
		if tc.kind == nil && err != nil || tc.kind != nil && !errors.Is(err, tc.kind) {
			t.Errorf("%s %s #%d: check = %v, want %v", tc.cassette, tc.path, tc.n, err, tc.kind)
		}
		if r.DSInfo == nil || r.DSInfo.DSID != "12345678901" || r.Webservices["ckdatabasews"].URL == "" {
			t.Errorf("%s: dsInfo/webservices not decoded", tc.cassette)
		}
	}
}

func TestFixtureCompleteOutcomes(t *testing.T) {
	c := fixtureClient(t, time.Now())
	failed := findAuth(t, loadAuthCassette(t, "failed_auth"), "/signin/complete", 0)
	if !hasCode(failed.body(), "-20101") || failed.Response.Status.Code != 401 {
		t.Error("failed_auth: -20101 not found")
	}
	if err := c.afterComplete(t.Context(), failed.resty(), "pw", false); !errors.Is(err, ErrPasswordRejected) {
		t.Errorf("failed_auth: %v", err)
	}
	if !c.sess.Rejected.matches("pw") {
		t.Error("rejected password not fingerprinted")
	}
	wrong := findAuth(t, loadAuthCassette(t, "2fa_flow_invalid_code"), "/verify/trusteddevice/securitycode", 0)
	if err := c.codeAccepted(wrong.resty()); !errors.Is(err, ErrWrongCode) {
		t.Errorf("2fa_flow_invalid_code: %v", err)
	}
	ok := findAuth(t, loadAuthCassette(t, "2fa_flow_valid_code"), "/verify/trusteddevice/securitycode", 0)
	if err := c.codeAccepted(ok.resty()); err != nil {
		t.Errorf("2fa_flow_valid_code 204: %v", err)
	}
	busy := findAuth(t, loadAuthCassette(t, "failed_auth_503"), "/signin/init", 0)
	if err := c.idmsaStatus("signin_init", busy.resty()); !errors.Is(err, ErrThrottled) {
		t.Errorf("failed_auth_503: %v", err)
	}
	repair := findAuth(t, loadAuthCassette(t, "auth_non_2fa"), "/signin/complete", 0)
	if repair.Response.Status.Code != 412 {
		t.Errorf("auth_non_2fa complete status %d", repair.Response.Status.Code)
	}
}

func TestFixtureBootArgs(t *testing.T) {
	page, err := os.ReadFile("testdata/auth/trusted_phone_numbers_boot_args.html")
	if err != nil {
		t.Fatal(err)
	}
	inline := findAuth(t, loadAuthCassette(t, "2fa_flow_valid_code"), "/appleauth/auth", 2).body()
	for name, b := range map[string][]byte{"html file": page, "cassette": inline} {
		tf, err := parseBootArgs(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !tf.HasTrustedDevices || tf.CodeLength != 6 || len(tf.Phones) != 1 || tf.Phones[0].ID != 1 ||
			tf.Phones[0].PushMode != "sms" || !strings.HasSuffix(tf.Phones[0].ObfuscatedNumber, "80") && !strings.HasSuffix(tf.Phones[0].ObfuscatedNumber, "81") {
			t.Errorf("%s: %+v", name, tf)
		}
	}
}

func TestFixtureCookiesGiveSessionExpiry(t *testing.T) {
	its := loadAuthCassette(t, "auth_requires_2fa")
	login := findAuth(t, its, "/accountLogin", 0)
	date, err := http.ParseTime(login.header().Get("Date"))
	if err != nil {
		t.Fatal(err)
	}
	c := fixtureClient(t, date)
	u, _ := url.Parse(login.Request.URI)
	resp := &http.Response{Header: login.header()}
	c.jar.SetCookies(u, resp.Cookies())
	exp, ok := c.SessionExpiry()
	if !ok {
		t.Fatal("no expiry from the recorded cookies")
	}
	if d := exp.Sub(date); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("expiry %v is %v after the response date; the cassette's web cookies last 30 days", exp, d)
	}
	if len(c.jar.Cookies(&url.URL{Scheme: "https", Host: "p61-ckdatabasews.icloud.com", Path: "/"})) == 0 {
		t.Error(".icloud.com cookies are not sent to ckdatabasews")
	}
}

// TestSessionUndated: the recorded cookies are dated (SessionUndated false);
// the same cookies without Expires (a server that sends session cookies)
// are undated; an empty jar holds nothing and is not "undated".
func TestSessionUndated(t *testing.T) {
	its := loadAuthCassette(t, "auth_requires_2fa")
	login := findAuth(t, its, "/accountLogin", 0)
	date, err := http.ParseTime(login.header().Get("Date"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(login.Request.URI)
	cookies := (&http.Response{Header: login.header()}).Cookies()

	c := fixtureClient(t, date)
	if c.SessionUndated() {
		t.Error("an empty jar is reported undated")
	}
	c.jar.SetCookies(u, cookies)
	if c.SessionUndated() {
		t.Error("the recorded, dated cookies are reported undated")
	}

	undated := fixtureClient(t, date)
	var stripped []*http.Cookie
	for _, ck := range cookies {
		if ck.Value == "" {
			continue // a deletion
		}
		ck.Expires, ck.MaxAge, ck.RawExpires = time.Time{}, 0, ""
		stripped = append(stripped, ck)
	}
	undated.jar.SetCookies(u, stripped)
	if _, ok := undated.SessionExpiry(); ok {
		t.Fatal("expiry found in cookies without dates")
	}
	if !undated.SessionUndated() {
		t.Error("cookies without dates are not reported undated")
	}
}
