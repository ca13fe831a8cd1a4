package icloudapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

const (
	widgetKey = "d39ba9916b7251055b22c7f910e2ea796ee65e98b2ddecea8f5dde8d9d1a815d"
	// signInBudget failed SRP attempts (automatic or not) are allowed per
	// budgetWindow before automatic sign-ins pause: failures are what can
	// lock an Apple ID.
	signInBudget = 3
	// successBudget automatic sign-ins that Apple accepted are allowed per
	// budgetWindow. A kept session needs about one a month, so reaching it
	// means sessions are lost between runs; the cap only bounds the load
	// on Apple, it is not a lock risk.
	successBudget = 12
	budgetWindow  = 24 * time.Hour
	// maxInitRestarts bounds the restarts of one attempt caused by a B or S
	// with a leading zero byte (a fresh b or a gives new values). The salt
	// never causes one: it is fixed per account, so a restart could not
	// change it (pysrp 1.0.22, pinned by icloudpd, hashes the raw salt).
	maxInitRestarts = 3
)

// Authenticate makes the session usable without asking a human: validate
// the saved web session, else replay accountLogin with the saved tokens,
// else — if password is non-empty, it was not rejected before and the
// budgets (3 failed SRP attempts and 12 accepted ones per 24 h) allow —
// sign in with SRP presenting the
// trust token. If Apple wants a 2FA code it returns ErrReauthRequired and
// sends no code. Save the session (MarshalSession) after every call.
//
// When Apple names another iCloud domain for the account (ErrWrongRegion),
// the answer is remembered in the session: later calls return the same
// error without a request until the client is built for another region
// (setup URL) or SignIn succeeds.
func (c *Client) Authenticate(ctx context.Context, password string) error {
	if err := c.regionBlocked(); err != nil {
		return err
	}
	err := c.authenticate(ctx, password)
	c.noteRegion(err)
	return err
}

func (c *Client) authenticate(ctx context.Context, password string) error {
	err := c.validate(ctx)
	if err == nil || !errors.Is(err, ErrSessionExpired) {
		return err
	}
	if err = c.accountLogin(ctx); err == nil || !errors.Is(err, ErrSessionExpired) {
		return err
	}
	c.log.Debug("saved session not usable, SRP sign-in needed", "err", err)
	if err := c.mayAutoSignIn(password); err != nil {
		return err
	}
	return c.signIn(ctx, password, false)
}

// SignIn is the interactive sign-in of `icloudmon login`: SRP right away
// (no budget, but the attempt is recorded). When 2FA is needed the returned
// ErrReauthRequired carries the delivery options read from GET auth; then
// call RequestDeviceCode or RequestPhoneCode and SubmitCode.
func (c *Client) SignIn(ctx context.Context, password string) error {
	if password == "" {
		return newError(ErrNoPassword, "signin", 0, "no password given")
	}
	c.mu.Lock()
	c.sess.WrongRegion = nil // a person asks to try again
	c.mu.Unlock()
	err := c.signIn(ctx, password, true)
	c.noteRegion(err)
	return err
}

// regionBlocked returns the remembered wrong-region answer when it was
// given for the setup endpoint in use.
func (c *Client) regionBlocked() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.sess.WrongRegion
	if b == nil || b.Setup != c.setup {
		return nil
	}
	e := wrongRegion("signin", 0, b.Domain)
	e.Message = "Apple said on " + b.At.UTC().Format("2006-01-02 15:04 MST") + " that this account belongs to " + b.Domain +
		"; not signing in again until the region is changed"
	return e
}

// noteRegion remembers a wrong-region answer (see Authenticate).
func (c *Client) noteRegion(err error) {
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrWrongRegion) || e.Domain == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess.WrongRegion == nil || c.sess.WrongRegion.Setup != c.setup {
		c.sess.WrongRegion = &regionBlock{Domain: e.Domain, Setup: c.setup, At: c.now().UTC()}
	}
}

// WrongRegion reports the domain Apple named for this account when
// automatic sign-ins are stopped for it ("" when they are not).
func (c *Client) WrongRegion() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.sess.WrongRegion; b != nil && b.Setup == c.setup {
		return b.Domain
	}
	return ""
}

// mayAutoSignIn enforces the safety rules of automatic sign-in.
func (c *Client) mayAutoSignIn(password string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case password == "":
		return newError(ErrNoPassword, "signin", 0, "the session expired and no password is stored")
	case c.sess.Rejected.matches(password):
		return newError(ErrPasswordRejected, "signin", 0, "Apple rejected this password before; not trying it again automatically")
	case c.recentFailures() >= signInBudget:
		return newError(ErrSignInBudget, "signin", 0, "3 failed sign-ins in the last 24 hours")
	case c.recentSignIns() >= successBudget:
		e := newError(ErrSignInBudget, "signin", 0, "12 sign-ins in the last 24 hours: the session is not being kept between runs")
		e.Remediation = "keep data_dir (/data) on a persistent, writable volume; icloudmon tries again later"
		return e
	}
	return nil
}

// recentFailures counts the failed SRP attempts in the budget window and
// drops older ones (lock held).
func (c *Client) recentFailures() int {
	c.sess.Attempts = withinWindow(c.sess.Attempts, c.now())
	return len(c.sess.Attempts)
}

// recentSignIns counts the accepted SRP attempts in the budget window
// (lock held).
func (c *Client) recentSignIns() int {
	c.sess.SignIns = withinWindow(c.sess.SignIns, c.now())
	return len(c.sess.SignIns)
}

func withinWindow(ts []time.Time, now time.Time) []time.Time {
	kept := ts[:0]
	for _, t := range ts {
		if now.Sub(t) < budgetWindow {
			kept = append(kept, t)
		}
	}
	return kept
}

// SignInAttempts returns the SRP attempts of the last 24 hours, failed or
// not.
func (c *Client) SignInAttempts() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recentFailures() + c.recentSignIns()
}

// SignIns returns the SRP attempts Apple accepted in the last 24 hours.
func (c *Client) SignIns() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recentSignIns()
}

// accepted moves the current attempt (the newest failure) to the sign-ins.
func (c *Client) accepted() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.sess.Attempts); n > 0 {
		c.sess.SignIns = append(c.sess.SignIns, c.sess.Attempts[n-1])
		c.sess.Attempts = c.sess.Attempts[:n-1]
	}
}

// signIn runs one SRP attempt (signin/init, signin/complete) and what
// follows it.
func (c *Client) signIn(ctx context.Context, password string, interactive bool) error {
	a, err := c.reserveAttempt(ctx, password, interactive)
	if err != nil {
		return err
	}
	defer a.finish()
	ctx = a.track(ctx)
	c.mu.Lock()
	c.sess.SCNT, c.sess.SessionID, c.sess.AuthAttributes, c.sess.Pending = "", "", "", nil
	c.mu.Unlock()
	c.authorize(ctx)
	resp, err := c.srpExchange(ctx, password)
	if err != nil {
		return err
	}
	return c.afterComplete(ctx, resp, password, interactive)
}

// authorize primes the idmsa cookies (optional step 0); failures are only
// logged because signin/init works without it.
func (c *Client) authorize(ctx context.Context) {
	q := url.Values{"frame_id": {c.clientID()}, "iframeId": {c.clientID()}, "state": {c.clientID()},
		"skVersion": {"7"}, "client_id": {widgetKey}, "response_type": {"code"}, "redirect_uri": {c.home},
		"response_mode": {"web_message"}, "authVersion": {"latest"}}
	resp, err := c.idmsa(ctx, "authorize").SetHeader("Accept", "text/html").Get(c.auth + "/authorize/signin?" + q.Encode())
	if err != nil || resp.IsError() {
		c.log.Debug("authorize/signin failed; continuing", "err", err)
	}
}

type initRequest struct {
	A           string   `json:"a"`
	AccountName string   `json:"accountName"`
	Protocols   []string `json:"protocols"`
}

type completeRequest struct {
	AccountName string          `json:"accountName"`
	C           json.RawMessage `json:"c"`
	M1          string          `json:"m1"`
	M2          string          `json:"m2"`
	RememberMe  bool            `json:"rememberMe"`
	TrustTokens []string        `json:"trustTokens"`
}

// srpExchange runs init and complete, restarting at init (before any proof
// is sent) when a value has a leading zero byte. It returns the complete
// response whatever its status.
func (c *Client) srpExchange(ctx context.Context, password string) (*resty.Response, error) {
	c.mu.Lock()
	account := c.sess.Account
	c.mu.Unlock()
	for restart := 0; ; restart++ {
		srp, err := newSRPClient(account, randReader)
		if err != nil {
			return nil, err
		}
		init, err := c.signinInit(ctx, srp)
		if err != nil {
			return nil, err
		}
		req, err := c.completeRequest(srp, init, password)
		if errors.Is(err, errSRPLeadingZero) && restart < maxInitRestarts {
			c.log.Debug("SRP value with a leading zero byte; restarting at signin/init", "restart", restart+1)
			continue
		}
		if err != nil {
			return nil, newError(ErrProtocol, "signin_init", 0, err.Error())
		}
		resp, err := c.idmsa(ctx, "signin_complete").SetBody(req).Post(c.auth + "/signin/complete?isRememberMeEnabled=true")
		if err != nil {
			return nil, transportError(ctx, "signin_complete", err)
		}
		return resp, nil
	}
}

func (c *Client) signinInit(ctx context.Context, srp *srpClient) (*signinInitResponse, error) {
	body := initRequest{A: base64.StdEncoding.EncodeToString(srp.publicA()), AccountName: srp.account, Protocols: []string{"s2k", "s2k_fo"}}
	resp, err := c.idmsa(ctx, "signin_init").SetBody(body).Post(c.auth + "/signin/init")
	if err != nil {
		return nil, transportError(ctx, "signin_init", err)
	}
	if err := c.idmsaStatus("signin_init", resp); err != nil {
		return nil, err
	}
	var init signinInitResponse
	if err := decodeBody("signin_init", resp.Body(), &init); err != nil {
		return nil, err
	}
	return &init, nil
}

// completeRequest computes the proofs. The salt is used as the raw bytes
// Apple sent, leading zero or not, as every current client does.
func (c *Client) completeRequest(srp *srpClient, init *signinInitResponse, password string) (*completeRequest, error) {
	salt, err1 := base64.StdEncoding.DecodeString(init.Salt)
	pubB, err2 := base64.StdEncoding.DecodeString(init.B)
	if err1 != nil || err2 != nil || len(salt) == 0 {
		return nil, errors.New("signin/init answer has a malformed salt or B")
	}
	p, err := derivePassword(password, init.Protocol, salt, init.Iteration)
	if err != nil {
		return nil, err
	}
	m1, m2, err := srp.proofs(salt, pubB, p)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	trust := []string{}
	if c.sess.TrustToken != "" {
		trust = append(trust, c.sess.TrustToken)
	}
	c.mu.Unlock()
	return &completeRequest{AccountName: srp.account, C: init.C, M1: base64.StdEncoding.EncodeToString(m1),
		M2: base64.StdEncoding.EncodeToString(m2), RememberMe: true, TrustTokens: trust}, nil
}

// afterComplete interprets signin/complete: 200 signed in, 409 2FA,
// 412 repair, 401 wrong password, and the rest.
func (c *Client) afterComplete(ctx context.Context, resp *resty.Response, password string, interactive bool) error {
	code := resp.StatusCode()
	if rscd := resp.Header().Get("X-Apple-I-Rscd"); code < 300 && (rscd == "401" || rscd == "403") {
		code = http.StatusUnauthorized
	}
	if hasCode(resp.Body(), "-20209") {
		return newError(ErrAccountLocked, "signin_complete", code, "Apple reports the account as locked")
	}
	if e := regionAnswer("signin_complete", resp); e != nil {
		return e
	}
	if code == http.StatusOK || code == http.StatusConflict || code == http.StatusPreconditionFailed {
		c.acceptPassword(password)
	}
	switch code {
	case http.StatusOK:
		c.accepted()
		return c.accountLogin(ctx)
	case http.StatusConflict:
		return c.challenge(ctx, resp, interactive)
	case http.StatusPreconditionFailed:
		return c.repair(ctx)
	case http.StatusUnauthorized:
		c.rejectPassword(password)
		return newError(ErrPasswordRejected, "signin_complete", code, "Apple rejected the password for this Apple ID")
	}
	return c.idmsaStatus("signin_complete", resp)
}

// rejectPassword remembers a salted fingerprint of the rejected password.
func (c *Client) rejectPassword(password string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess.Rejected = newFingerprint(password)
}

// acceptPassword clears the rejection mark once Apple accepted password.
func (c *Client) acceptPassword(password string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess.Rejected.matches(password) {
		c.sess.Rejected = nil
	}
}

// repair completes Apple's "precondition failed" step, then logs in.
func (c *Client) repair(ctx context.Context) error {
	resp, err := c.idmsaAfter(ctx, "repair_complete").SetBody([]byte("{}")).Post(c.auth + "/repair/complete")
	if err != nil {
		return transportError(ctx, "repair_complete", err)
	}
	if err := c.idmsaStatus("repair_complete", resp); err != nil {
		return err
	}
	c.accepted()
	return c.accountLogin(ctx)
}

// challenge turns the 409 of signin/complete into ErrReauthRequired (or
// ErrSecurityKeyOnly), with delivery options when interactive.
func (c *Client) challenge(ctx context.Context, resp *resty.Response, interactive bool) error {
	var body challengeBody
	if err := json.Unmarshal(resp.Body(), &body); err != nil {
		return newError(ErrProtocol, "signin_complete", 409, "cannot decode the two-factor challenge")
	}
	if body.securityKeyOnly() {
		return newError(ErrSecurityKeyOnly, "signin_complete", 409, "the account requires a security key for two-factor authentication")
	}
	e := newError(ErrReauthRequired, "signin_complete", 409, "Apple asks for a two-factor code")
	e.TwoFactor = body.options()
	if interactive {
		if tf, err := c.TwoFactorOptions(ctx); err == nil {
			e.TwoFactor = tf
		} else {
			c.log.Debug("cannot read two-factor options", "err", err)
		}
	}
	return e
}

// idmsa starts a request of the sign-in itself (authorize/signin,
// signin/init, signin/complete) with the idmsa headers and the idmsa host
// as Origin; sign-in requests never retry.
func (c *Client) idmsa(ctx context.Context, endpoint string) *resty.Request {
	return c.signin.R().SetContext(withEndpoint(ctx, endpoint)).SetHeaders(c.idmsaHeaders(false))
}

// idmsaAfter starts an idmsa request that follows signin/complete (GET
// auth, the 2FA push, code requests and submissions, 2sv/trust,
// repair/complete). Like icloud.com, icloudpd and kei, it carries the home
// origin (https://www.icloud.com, .com.cn for China) and no
// X-Apple-Auth-Attributes: Apple checks the Origin of these calls
// (icloud-photos-sync PR #1104; icloudpd PR #1209 sets the idmsa Origin
// on signin/init and signin/complete only).
func (c *Client) idmsaAfter(ctx context.Context, endpoint string) *resty.Request {
	return c.signin.R().SetContext(withEndpoint(ctx, endpoint)).SetHeaders(c.idmsaHeaders(true))
}

func (c *Client) idmsaHeaders(afterSignIn bool) map[string]string {
	origin := c.auth
	if u, err := url.Parse(c.auth); err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	if afterSignIn {
		origin = c.home
	}
	h := map[string]string{
		"X-Apple-Widget-Key": widgetKey, "X-Apple-OAuth-Client-Id": widgetKey,
		"X-Apple-OAuth-Client-Type": "firstPartyAuth", "X-Apple-OAuth-Redirect-URI": c.home,
		"X-Apple-OAuth-Require-Grant-Code": "true", "X-Apple-OAuth-Response-Mode": "web_message",
		"X-Apple-OAuth-Response-Type": "code", "X-Apple-OAuth-State": c.clientID(), "X-Apple-Frame-Id": c.clientID(),
		"Content-Type": "application/json", "Accept": "application/json, text/javascript",
		"Origin": origin, "Referer": origin + "/",
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	dynamic := map[string]string{"scnt": c.sess.SCNT, "X-Apple-ID-Session-Id": c.sess.SessionID}
	if !afterSignIn {
		dynamic["X-Apple-Auth-Attributes"] = c.sess.AuthAttributes
	}
	for name, v := range dynamic {
		if v != "" {
			h[name] = v
		}
	}
	return h
}

func (c *Client) clientID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess.ClientID
}

// idmsaStatus maps a non-2xx idmsa answer.
func (c *Client) idmsaStatus(endpoint string, resp *resty.Response) error {
	code := resp.StatusCode()
	if e := regionAnswer(endpoint, resp); e != nil {
		return e
	}
	switch {
	case code >= 200 && code < 300:
		return nil
	case hasCode(resp.Body(), "-20209"):
		return newError(ErrAccountLocked, endpoint, code, "Apple reports the account as locked")
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		e := newError(ErrThrottled, endpoint, code, "Apple is refusing sign-ins for now")
		e.RetryAfter = c.retryAfter(resp.Header())
		return e
	}
	return &HTTPError{Endpoint: endpoint, Status: code, Code: serviceErrorCode(resp.Body())}
}

func hasCode(body []byte, code string) bool {
	var b errorBody
	if json.Unmarshal(body, &b) != nil {
		return false
	}
	for _, c := range b.codes() {
		if strings.TrimSpace(c) == code {
			return true
		}
	}
	return false
}
