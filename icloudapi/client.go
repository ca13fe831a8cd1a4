package icloudapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
)

// Client parameters that Apple's web client sends with every service call.
const (
	clientBuildNumber     = "2534Project66"
	clientMasteringNumber = "2534B22"
	defaultUserAgent      = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3.1 Safari/605.1.15"
	defaultMaxBody        = 64 << 20
)

// Options configure a Client. Zero values give the production defaults.
type Options struct {
	// AppleID is the account name; it is trimmed and lower-cased.
	AppleID string
	// Region is "global" (default) or "china".
	Region string
	// AuthURL, SetupURL and HomeURL override the region's endpoints, e.g.
	// "https://idmsa.apple.com/appleauth/auth",
	// "https://setup.icloud.com/setup/ws/1" and "https://www.icloud.com".
	AuthURL, SetupURL, HomeURL string
	// RootCAs replaces the system roots: icloudmon passes the system roots
	// plus tls.ca_file (cmd/icloudmon trustedRoots), tests their own CA.
	RootCAs *x509.CertPool
	// TLSConfig, if set, is cloned and used as is; InsecureSkipVerify is
	// refused.
	TLSConfig *tls.Config
	// UserAgent defaults to a desktop Safari string; Apple rejects others.
	UserAgent string
	// Logger receives debug lines (endpoint, status, duration); never secrets.
	Logger *slog.Logger
	// Observe, if set, is called once per HTTP attempt with a short endpoint
	// label ("signin_init", "ck_query", …) and the status code (0 on a
	// transport error). Meant for icloudmon_icloud_requests_total.
	Observe func(endpoint string, code int)
	// Now is the clock (cookie expiry, sign-in budget); defaults to time.Now.
	Now func() time.Time
	// MaxBodyBytes caps every response body (default 64 MiB).
	MaxBodyBytes int64
	// Retries, RetryWait and RetryMaxWait tune the read retry policy
	// (defaults 3, 1 s, 30 s; Retries < 0 disables retries). A Retry-After longer than RetryMaxWait is not
	// waited for: the call fails with ErrThrottled instead.
	Retries                 int
	RetryWait, RetryMaxWait time.Duration
	// Timeout bounds one HTTP attempt (default 60 s).
	Timeout time.Duration
	// SignIns, if set, is the record of SRP attempts shared with the other
	// processes that may sign in to this account (see SignInRecord). Without
	// it the budget only holds within this client and its saved session.
	SignIns SignInRecord
}

// Client talks to Apple's iCloud web endpoints for one Apple ID. It is safe
// for concurrent use; sign-in and 2FA calls should not overlap.
type Client struct {
	opts              Options
	log               *slog.Logger
	now               func() time.Time
	auth, setup, home string
	jar               *cookieJar
	read              *resty.Client // retries (reads only)
	signin            *resty.Client // never retries (sign-in POSTs)

	mu   sync.Mutex
	sess *session

	clock appleClock // offset of Apple's clock, from Date headers
}

// New builds a Client; it makes no request.
func New(opts Options) (*Client, error) {
	c := &Client{opts: opts, log: opts.Logger, now: opts.Now}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if err := c.setEndpoints(); err != nil {
		return nil, err
	}
	account := normaliseAccount(opts.AppleID)
	if account == "" {
		return nil, errors.New("icloudapi: an Apple ID is required")
	}
	c.sess = &session{Version: sessionVersion, Account: account, ClientID: newClientID()}
	c.jar = &cookieJar{now: c.now}
	tr, err := c.transport()
	if err != nil {
		return nil, err
	}
	c.read, c.signin = c.newResty(tr, true), c.newResty(tr, false)
	return c, nil
}

func normaliseAccount(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

func (c *Client) setEndpoints() error {
	switch c.opts.Region {
	case "", "global":
		c.auth, c.setup, c.home = "https://idmsa.apple.com/appleauth/auth", "https://setup.icloud.com/setup/ws/1", "https://www.icloud.com"
	case "china":
		// The idmsa host of China is disputed: icloudpd and kei use
		// idmsa.apple.com.cn, pyicloud switched to the global host in
		// 2026 (PR #285) after .com.cn answered 503 (icloudpd#1256). The
		// newest evidence wins; AuthURL (config endpoints.auth) selects
		// the .com.cn host where the global one is unreachable.
		c.auth, c.setup, c.home = "https://idmsa.apple.com/appleauth/auth", "https://setup.icloud.com.cn/setup/ws/1", "https://www.icloud.com.cn"
	default:
		return fmt.Errorf("icloudapi: unknown region %q (use global or china)", c.opts.Region)
	}
	for _, o := range []struct {
		v, name string
		dst     *string
	}{
		{c.opts.AuthURL, "auth", &c.auth}, {c.opts.SetupURL, "setup", &c.setup}, {c.opts.HomeURL, "home", &c.home},
	} {
		if o.v == "" {
			continue
		}
		u, err := url.Parse(o.v)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("icloudapi: %s endpoint %q must be an https URL", o.name, o.v)
		}
		*o.dst = strings.TrimSuffix(o.v, "/")
	}
	return nil
}

func (c *Client) transport() (http.RoundTripper, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: c.opts.RootCAs}
	if c.opts.TLSConfig != nil {
		if c.opts.TLSConfig.InsecureSkipVerify {
			return nil, errors.New("icloudapi: TLS verification cannot be disabled")
		}
		cfg = c.opts.TLSConfig.Clone()
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = cfg
	return &observingTransport{base: base, c: c}, nil
}

func (c *Client) newResty(tr http.RoundTripper, retries bool) *resty.Client {
	timeout := c.opts.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	r := resty.NewWithClient(&http.Client{Transport: tr, Jar: c.jar, Timeout: timeout})
	// resty logs failed attempts with the full URL (dsid, client id) to
	// stderr; route its lines through our logger without the URL.
	r.SetLogger(restyLogger{c.log})
	r.SetHeader("User-Agent", c.userAgent())
	maxBody := c.opts.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = defaultMaxBody
	}
	r.SetResponseBodyLimit(int(maxBody))
	if !retries {
		// A sign-in answer is read as it is: a redirect of a POST that
		// carries tokens is never followed to another host (Apple's wrong
		// region answer is a 302 whose body names the domain to use).
		r.SetRedirectPolicy(resty.RedirectPolicyFunc(func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}))
		return r.SetRetryCount(0)
	}
	// Reads may follow a redirect, but never from https to plain http: the
	// answer would carry the session's data (and the request its cookies)
	// over an unauthenticated connection.
	r.SetRedirectPolicy(resty.RedirectPolicyFunc(httpsOnlyRedirects))
	n, wait, maxWait := c.opts.Retries, c.opts.RetryWait, c.opts.RetryMaxWait
	switch {
	case n == 0:
		n = 3
	case n < 0:
		n = 0
	}
	if wait <= 0 {
		wait = time.Second
	}
	if maxWait <= 0 {
		maxWait = 30 * time.Second
	}
	r.SetRetryCount(n).SetRetryWaitTime(wait).SetRetryMaxWaitTime(maxWait)
	r.SetRetryAfter(func(_ *resty.Client, resp *resty.Response) (time.Duration, error) {
		return c.retryAfter(resp.Header()), nil
	})
	r.AddRetryCondition(func(resp *resty.Response, err error) bool { return c.shouldRetry(resp, err, maxWait) })
	return r
}

// codeInsecureRedirect is the Error.Code of a refused https->http redirect.
const codeInsecureRedirect = "INSECURE_REDIRECT"

// errInsecureRedirect: a redirect led away from https.
var errInsecureRedirect = errors.New("redirect to a non-https URL refused")

// maxRedirects bounds redirect chains of reads (net/http's own limit).
const maxRedirects = 10

func httpsOnlyRedirects(req *http.Request, via []*http.Request) error {
	if req.URL.Scheme != "https" {
		return errInsecureRedirect
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	return nil
}

func (c *Client) userAgent() string {
	if c.opts.UserAgent != "" {
		return c.opts.UserAgent
	}
	return defaultUserAgent
}

// shouldRetry: transport errors, 429 and 5xx are retried; a Retry-After
// beyond the cap is left to the caller (ErrThrottled with RetryAfter).
func (c *Client) shouldRetry(resp *resty.Response, err error, maxWait time.Duration) bool {
	if resp != nil && resp.Request != nil && resp.Request.Context().Err() != nil {
		return false
	}
	if err != nil {
		return !errors.Is(err, resty.ErrResponseBodyTooLarge) && !errors.Is(err, errInsecureRedirect)
	}
	code := resp.StatusCode()
	if code != http.StatusTooManyRequests && code < 500 {
		return false
	}
	if be, ok := ckErrorDocument(resp.Body()); ok {
		// CloudKit's own wait counts like Retry-After; THROTTLED without a
		// wait means "later", not "in a second".
		if be.RetryAfter > maxWait || be.Code == "THROTTLED" && be.RetryAfter <= 0 {
			return false
		}
	}
	return c.retryAfter(resp.Header()) <= maxWait
}

// retryAfter parses Retry-After as delta-seconds or an HTTP date.
func (c *Client) retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(c.now()); d > 0 {
			return d
		}
	}
	return 0
}

type endpointKey struct{}

func withEndpoint(ctx context.Context, endpoint string) context.Context {
	return context.WithValue(ctx, endpointKey{}, endpoint)
}

// observingTransport harvests session headers from every response (also
// the ones resty retries) and reports each attempt to Options.Observe.
type observingTransport struct {
	base http.RoundTripper
	c    *Client
}

func (t *observingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.c.now()
	endpoint, _ := req.Context().Value(endpointKey{}).(string)
	resp, err := t.base.RoundTrip(req)
	code := 0
	if err == nil {
		code = resp.StatusCode
		t.c.harvest(resp.Header)
		t.c.clock.note(resp.Header, t.c.now())
	}
	observeAttempt(req.Context(), endpoint, code)
	if t.c.opts.Observe != nil {
		t.c.opts.Observe(endpoint, code)
	}
	t.c.log.Debug("icloud request", "endpoint", endpoint, "status", code, "duration", t.c.now().Sub(start))
	return resp, err
}

// postJSON is the helper for the Photos/CloudKit and storage code in this
// package. It POSTs body (JSON-encoded; nil sends an empty body) to rawURL
// with the session's cookies, the iCloud Origin/Referer and the standard
// query parameters (clientBuildNumber, clientMasteringNumber, clientId,
// dsid), retrying transport errors, 429 and 5xx with capped exponential
// backoff that honours Retry-After. The response body is size-limited and
// decoded into out (if out is non-nil). endpoint is a short metrics label
// ("ck_query", "storage", …). Errors: 401/421 → ErrSessionExpired (the
// caller may call c.revalidate once and retry), 423 → ErrWebAccessDisabled,
// 429/503 → ErrThrottled (RetryAfter set), other non-2xx → *HTTPError,
// undecodable JSON → ErrProtocol. A non-2xx answer whose body is a CloudKit
// error document comes back as a *ckStatusError that unwraps to the error
// above and carries serverErrorCode, reason and retryAfter. A redirect
// from https to plain http is refused (ErrProtocol). The signature is stable.
func (c *Client) postJSON(ctx context.Context, endpoint string, rawURL string, body any, out any) error {
	u, err := c.withParams(rawURL)
	if err != nil {
		return err
	}
	req := c.read.R().SetContext(withEndpoint(ctx, endpoint)).SetHeaders(c.homeHeaders())
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s: encode request: %w", endpoint, err)
		}
		req.SetBody(b)
	}
	resp, err := req.Post(u)
	if err != nil {
		return transportError(ctx, endpoint, err)
	}
	if err := c.statusError(endpoint, resp); err != nil {
		// CloudKit states what went wrong in the body whatever the status
		// (Apple's CloudKit Web Services error table): keep it.
		if be, ok := ckErrorDocument(resp.Body()); ok {
			be.Status = resp.StatusCode()
			if be.RetryAfter <= 0 {
				be.RetryAfter = c.retryAfter(resp.Header())
			}
			var ae *Error
			if errors.As(err, &ae) {
				ae.Code = be.Code
				ae.Message += fmt.Sprintf(" (CloudKit %s: %s)", be.Code, be.Reason)
			}
			return &ckStatusError{be: be, err: err}
		}
		return err
	}
	return decodeBody(endpoint, resp.Body(), out)
}

// webservice returns the URL of a web service named in the accountLogin
// answer (e.g. "ckdatabasews"), without a trailing slash.
func (c *Client) webservice(name string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.sess.Webservices[name]
	if !ok || u == "" {
		return "", newError(ErrSessionExpired, "webservices", 0, "the session has no URL for the "+name+" service")
	}
	return strings.TrimSuffix(u, "/"), nil
}

// dsid returns the account's directory services id ("" before sign-in).
func (c *Client) dsid() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess.DSID
}

func (c *Client) withParams(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("icloudapi: bad service URL: %w", err)
	}
	q := u.Query()
	c.mu.Lock()
	q.Set("clientBuildNumber", clientBuildNumber)
	q.Set("clientMasteringNumber", clientMasteringNumber)
	q.Set("clientId", c.sess.ClientID)
	if c.sess.DSID != "" {
		q.Set("dsid", c.sess.DSID)
	}
	c.mu.Unlock()
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// homeHeaders are the headers of calls to setup and service hosts.
func (c *Client) homeHeaders() map[string]string {
	return map[string]string{
		"Origin":       c.home,
		"Referer":      c.home + "/",
		"Content-Type": "application/json",
		"Accept":       "application/json",
	}
}

// statusError maps a non-2xx status of a setup or service call.
func (c *Client) statusError(endpoint string, resp *resty.Response) error {
	code := resp.StatusCode()
	if code >= 300 {
		if e := regionAnswer(endpoint, resp); e != nil {
			return e
		}
	}
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusUnauthorized || code == http.StatusMisdirectedRequest || code == 450:
		return newError(ErrSessionExpired, endpoint, code, "the iCloud web session is no longer valid")
	case code == http.StatusLocked:
		return newError(ErrWebAccessDisabled, endpoint, code, "iCloud refused access to the data (missing PCS cookies; Advanced Data Protection or web access off)")
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		e := newError(ErrThrottled, endpoint, code, "Apple is limiting requests")
		e.RetryAfter = c.retryAfter(resp.Header())
		return e
	}
	return &HTTPError{Endpoint: endpoint, Status: code, Code: serviceErrorCode(resp.Body())}
}

func transportError(ctx context.Context, endpoint string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", endpoint, ctxErr)
	}
	if errors.Is(err, resty.ErrResponseBodyTooLarge) {
		return newError(ErrProtocol, endpoint, 0, "response body larger than the configured limit")
	}
	if errors.Is(err, errInsecureRedirect) {
		e := newError(ErrProtocol, endpoint, 0, "the answer redirected to a plain-http URL, which icloudmon refuses to follow (Apple only uses https)")
		e.Code = codeInsecureRedirect
		e.Remediation = "something between icloudmon and Apple (a proxy, captive portal or DNS) rewrites the traffic; check the network and the proxy settings"
		return e
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL carries the dsid; keep it out of messages
	}
	return fmt.Errorf("%s: cannot reach Apple (check the network): %w", endpoint, err)
}

func decodeBody(endpoint string, body []byte, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return newError(ErrProtocol, endpoint, 0, "cannot decode the JSON answer: "+err.Error())
	}
	return nil
}
