package icloudapi

import (
	"context"
	"errors"
)

type accountLoginRequest struct {
	AccountCountryCode string `json:"accountCountryCode"`
	DSWebAuthToken     string `json:"dsWebAuthToken"`
	ExtendedLogin      bool   `json:"extended_login"`
	TrustToken         string `json:"trustToken"`
}

// setupCall POSTs body to a setup endpoint (validate, accountLogin) with
// the no-retry client: their failure is an answer, not a glitch, and
// accountLogin is a sign-in POST.
func (c *Client) setupCall(ctx context.Context, endpoint, path string, body any) (*accountLoginResponse, error) {
	req := c.signin.R().SetContext(withEndpoint(ctx, endpoint)).SetHeaders(c.homeHeaders()).SetBody(body)
	resp, err := req.Post(c.setup + path)
	if err != nil {
		return nil, transportError(ctx, endpoint, err)
	}
	if e := regionAnswer(endpoint, resp); e != nil {
		return nil, e
	}
	if resp.StatusCode() == 400 {
		return nil, newError(ErrSessionExpired, endpoint, 400, "Apple rejected the session token")
	}
	if err := c.statusError(endpoint, resp); err != nil {
		return nil, err
	}
	var r accountLoginResponse
	if err := decodeBody(endpoint, resp.Body(), &r); err != nil {
		return nil, err
	}
	c.remember(&r)
	return &r, r.check(endpoint)
}

// remember stores the dsid and the web service URLs of a login answer.
func (c *Client) remember(r *accountLoginResponse) {
	if r.DSInfo == nil || len(r.Webservices) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess.DSID = r.DSInfo.DSID
	c.sess.Webservices = make(map[string]string, len(r.Webservices))
	for name, ws := range r.Webservices {
		c.sess.Webservices[name] = ws.URL
	}
}

// validate checks the saved web session (POST setup/validate, body null).
func (c *Client) validate(ctx context.Context) error {
	if _, ok := c.jar.find("X-APPLE-WEBAUTH-TOKEN"); !ok {
		return newError(ErrSessionExpired, "validate", 0, "no web session cookie saved")
	}
	_, err := c.setupCall(ctx, "validate", "/validate", []byte("null"))
	return err
}

// accountLogin exchanges the session token (and trust token) for the
// iCloud web cookies.
func (c *Client) accountLogin(ctx context.Context) error {
	c.mu.Lock()
	body := accountLoginRequest{AccountCountryCode: c.sess.AccountCountry, DSWebAuthToken: c.sess.SessionToken,
		ExtendedLogin: true, TrustToken: c.sess.TrustToken}
	c.mu.Unlock()
	if body.DSWebAuthToken == "" {
		return newError(ErrSessionExpired, "account_login", 0, "no session token saved")
	}
	_, err := c.setupCall(ctx, "account_login", "/accountLogin", body)
	return err
}

// revalidate restores a usable web session without SRP: validate, then an
// accountLogin replay with the saved tokens. The Photos code calls it once
// after ErrSessionExpired before giving up.
func (c *Client) revalidate(ctx context.Context) error {
	err := c.validate(ctx)
	if err == nil || !errors.Is(err, ErrSessionExpired) {
		return err
	}
	c.log.Debug("validate failed, replaying accountLogin", "err", err)
	return c.accountLogin(ctx)
}

// Logout ends the web session but keeps the 2FA trust of this client, so
// the next sign-in needs no code. Local session cookies are dropped; the
// trust token stays in the session blob.
func (c *Client) Logout(ctx context.Context) error {
	req := c.signin.R().SetContext(withEndpoint(ctx, "logout")).SetHeaders(c.homeHeaders()).
		SetHeader("Content-Type", "text/plain;charset=UTF-8").
		SetBody([]byte(`{"trustBrowser":true,"allBrowsers":false}`))
	resp, err := req.Post(c.setup + "/logout")
	if err != nil {
		return transportError(ctx, "logout", err)
	}
	if err := c.statusError("logout", resp); err != nil && !errors.Is(err, ErrSessionExpired) {
		return err
	}
	c.forgetWebSession()
	return nil
}

// forgetWebSession drops everything but the trust token, the client id and
// the sign-in budget state.
func (c *Client) forgetWebSession() {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sess
	c.sess = &session{Version: sessionVersion, Account: s.Account, ClientID: s.ClientID, TrustToken: s.TrustToken,
		Attempts: s.Attempts, SignIns: s.SignIns, Rejected: s.Rejected, WrongRegion: s.WrongRegion}
	c.jar.restore(nil)
}

// ForgetTrust drops the 2FA trust token locally (`logout --forget-trust`):
// the next sign-in asks for a code again.
func (c *Client) ForgetTrust() {
	c.mu.Lock()
	c.sess.TrustToken = ""
	c.mu.Unlock()
	c.jar.mu.Lock()
	kept := c.jar.cookies[:0]
	for _, ck := range c.jar.cookies {
		if ck.Name != "X-APPLE-WEBAUTH-HSA-TRUST" {
			kept = append(kept, ck)
		}
	}
	c.jar.cookies = kept
	c.jar.mu.Unlock()
}
