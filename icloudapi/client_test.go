package icloudapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// serviceServer is a bare TLS server whose handler answers the given
// statuses in order (the last one repeats).
func serviceServer(t *testing.T, statuses []int, header http.Header, body string) (*httptest.Server, *atomic.Int32, *Client) {
	t.Helper()
	var n atomic.Int32
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(statuses) {
			i = len(statuses) - 1
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(statuses[i])
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	c, err := New(Options{AppleID: "a@example.com", RootCAs: pool, RetryWait: time.Millisecond, RetryMaxWait: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return ts, &n, c
}

func TestPostJSONStatusMapping(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		header   http.Header
		kind     error
		attempts int32
	}{
		{"retry then ok", []int{503, 500, 200}, nil, nil, 3},
		{"retry-after honoured", []int{429, 200}, http.Header{"Retry-After": {"0"}}, nil, 2},
		{"long retry-after not waited", []int{429}, http.Header{"Retry-After": {"3600"}}, ErrThrottled, 1},
		{"persistent 503", []int{503}, nil, ErrThrottled, 4},
		{"401", []int{401}, nil, ErrSessionExpired, 1},
		{"421", []int{421}, nil, ErrSessionExpired, 1},
		{"423 PCS", []int{423}, nil, ErrWebAccessDisabled, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, n, c := serviceServer(t, tc.statuses, tc.header, `{"ok":true}`)
			var out struct{ OK bool }
			err := c.postJSON(context.Background(), "ck_query", ts.URL+"/database/1/x", map[string]int{"a": 1}, &out)
			switch {
			case tc.kind == nil && (err != nil || !out.OK):
				t.Fatalf("err %v, out %+v", err, out)
			case tc.kind != nil && !errors.Is(err, tc.kind):
				t.Fatalf("err %v, want %v", err, tc.kind)
			}
			if got := n.Load(); got != tc.attempts {
				t.Errorf("%d attempts, want %d", got, tc.attempts)
			}
		})
	}
}

func TestPostJSONThrottledCarriesRetryAfterDate(t *testing.T) {
	at := time.Now().Add(2 * time.Hour).UTC().Format(http.TimeFormat)
	ts, _, c := serviceServer(t, []int{503}, http.Header{"Retry-After": {at}}, "")
	err := c.postJSON(context.Background(), "storage", ts.URL, nil, nil)
	var ae *Error
	if !errors.As(err, &ae) || ae.RetryAfter < 119*time.Minute {
		t.Fatalf("err %v; want ErrThrottled with ~2h RetryAfter", err)
	}
}

func TestPostJSONOtherStatusAndBadJSON(t *testing.T) {
	ts, _, c := serviceServer(t, []int{404}, nil, `{"serviceErrors":[{"code":"ZONE_NOT_FOUND"}]}`)
	var he *HTTPError
	if err := c.postJSON(context.Background(), "ck_zones", ts.URL, nil, nil); !errors.As(err, &he) || he.Status != 404 || he.Code != "ZONE_NOT_FOUND" {
		t.Errorf("err = %v", err)
	}
	ts, _, c = serviceServer(t, []int{200}, nil, `{"truncated`)
	var out map[string]any
	if err := c.postJSON(context.Background(), "ck_query", ts.URL, nil, &out); !errors.Is(err, ErrProtocol) {
		t.Errorf("bad JSON: err = %v", err)
	}
}

func TestPostJSONLimitsBody(t *testing.T) {
	ts, n, c := serviceServer(t, []int{200}, nil, `{"x":"`+strings.Repeat("a", 4096)+`"}`)
	c.read.SetResponseBodyLimit(1024)
	err := c.postJSON(context.Background(), "ck_query", ts.URL, nil, &map[string]any{})
	if !errors.Is(err, ErrProtocol) || n.Load() != 1 {
		t.Errorf("err %v after %d attempts; want ErrProtocol after 1", err, n.Load())
	}
}

func TestPostJSONSendsSessionAndParams(t *testing.T) {
	var got *http.Request
	photos := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		_, _ = io.WriteString(w, `{}`)
	})
	e := newAuthEnv(t, fakeicloud.Scenario{})
	srv := fakeicloud.New(fakeicloud.Options{Scenario: fakeicloud.Scenario{AppleID: "alice@example.com", Password: testPassword}, Photos: photos})
	t.Cleanup(srv.Close)
	e.opts.AuthURL, e.opts.SetupURL, e.opts.HomeURL, e.opts.RootCAs = srv.AuthURL(), srv.SetupURL(), srv.HomeURL(), srv.CertPool()
	var mu sync.Mutex
	seen := map[string]int{}
	e.opts.Observe = func(endpoint string, code int) {
		mu.Lock()
		defer mu.Unlock()
		seen[endpoint]++
	}
	c := e.client(nil)
	if err := c.Authenticate(context.Background(), testPassword); err != nil {
		t.Fatal(err)
	}
	base, _ := c.webservice("ckdatabasews")
	if err := c.postJSON(context.Background(), "ck_query", base+"/database/1/com.apple.photos.cloud/production/private/records/query", struct{}{}, nil); err != nil {
		t.Fatal(err)
	}
	q := got.URL.Query()
	if q.Get("dsid") != "12345678901" || q.Get("clientBuildNumber") == "" || q.Get("clientMasteringNumber") == "" || !strings.HasPrefix(q.Get("clientId"), "auth-") {
		t.Errorf("query = %v", q)
	}
	if _, err := got.Cookie("X-APPLE-WEBAUTH-TOKEN"); err != nil {
		t.Error("web session cookie not sent")
	}
	if seen["ck_query"] != 1 || seen["signin_complete"] != 1 {
		t.Errorf("observer saw %v", seen)
	}
	srv.Update(func(sc *fakeicloud.Scenario) { sc.MissingPCS = true })
	err := c.postJSON(context.Background(), "ck_query", base+"/database/1/com.apple.photos.cloud/production/private/records/query", struct{}{}, nil)
	if !errors.Is(err, ErrWebAccessDisabled) {
		t.Errorf("missing PCS cookies: %v", err)
	}
}

func TestRevalidate(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{})
	c := e.client(nil)
	ctx := context.Background()
	if err := c.Authenticate(ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	e.srv.ExpireWebSessions()
	if err := c.revalidate(ctx); err != nil {
		t.Fatalf("revalidate by accountLogin replay: %v", err)
	}
	e.srv.ExpireSessionTokens()
	if err := c.revalidate(ctx); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("revalidate without usable tokens: %v", err)
	}
	if n := e.srv.Count(pComplete); n != 1 {
		t.Errorf("revalidate ran SRP (%d completes)", n)
	}
}

func TestRootCAsTrustServer(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") }))
	defer ts.Close()
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	c, err := New(Options{AppleID: "a@b.c", RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.postJSON(context.Background(), "test", ts.URL, nil, nil); err != nil {
		t.Fatalf("extra root not trusted: %v", err)
	}
	plain, _ := New(Options{AppleID: "a@b.c", Retries: -1})
	if err := plain.postJSON(context.Background(), "test", ts.URL, nil, nil); err == nil {
		t.Fatal("test certificate trusted without the extra root")
	}
}

func TestNewValidatesOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"no apple id":  {},
		"region":       {AppleID: "a@b.c", Region: "mars"},
		"http":         {AppleID: "a@b.c", SetupURL: "http://setup.example/"},
		"insecure tls": {AppleID: "a@b.c", TLSConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // must be refused
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := New(Options{AppleID: " Bob@Example.COM ", Region: "china"})
	if err != nil {
		t.Fatal(err)
	}
	if c.sess.Account != "bob@example.com" || !strings.HasSuffix(c.setup, ".com.cn/setup/ws/1") || !strings.HasSuffix(c.home, ".com.cn") {
		t.Errorf("china client: account %q setup %q home %q", c.sess.Account, c.setup, c.home)
	}
}

// Every answer's Date header tells how far Apple's clock is from ours; the
// client keeps the latest measurement, also from error answers.
func TestClockOffsetFromDateHeader(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	nas := base.Add(-10 * 24 * time.Hour) // the NAS clock is 10 days slow
	fake := fakeicloud.New(fakeicloud.Options{Scenario: fakeicloud.Scenario{AppleID: "a@example.com", Password: "pw"},
		Now: func() time.Time { return base }})
	defer fake.Close()
	c, err := New(Options{AppleID: "a@example.com", RootCAs: fake.CertPool(), AuthURL: fake.AuthURL(),
		SetupURL: fake.SetupURL(), HomeURL: fake.HomeURL(), Now: func() time.Time { return nas }, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.ClockOffset(); ok {
		t.Fatal("an offset before any answer")
	}
	_, _ = c.setupCall(context.Background(), "validate", "/validate", []byte("null")) // 421 without a session: still dated
	off, ok := c.ClockOffset()
	if !ok || off != 10*24*time.Hour {
		t.Fatalf("offset %v (measured %v), want 240h: Apple ahead of the slow NAS clock", off, ok)
	}
	fake.SetClockOffset(-10*24*time.Hour - 2*time.Hour) // now Apple is 2 h behind the NAS
	_, _ = c.setupCall(context.Background(), "validate", "/validate", []byte("null"))
	if off, _ := c.ClockOffset(); off != -2*time.Hour {
		t.Errorf("offset %v after Apple's clock moved, want -2h (the latest answer counts)", off)
	}
}

// An answer without a Date, or with one that does not parse, changes
// nothing.
func TestClockOffsetIgnoresMissingOrBadDate(t *testing.T) {
	for _, h := range []http.Header{{"Date": {"yesterday"}}, {"Date": {""}}} {
		ts, _, c := serviceServer(t, []int{200}, h, `{}`)
		_ = c.postJSON(context.Background(), "ck_query", ts.URL+"/x", nil, nil)
		// net/http adds its own Date when the handler sets none or an
		// empty one; a bad one is sent as is.
		if off, ok := c.ClockOffset(); ok && (off > time.Minute || off < -time.Minute) {
			t.Errorf("header %v: offset %v from a bad or missing Date", h, off)
		}
	}
}
