package icloudapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"regexp"
	"strconv"

	"github.com/go-resty/resty/v2"
)

// TwoFactorChallenge describes how a 2FA code can be delivered. It comes
// with ErrReauthRequired so that `icloudmon login` can offer the choices.
type TwoFactorChallenge struct {
	HasTrustedDevices bool           // a push to Apple devices is possible
	Phones            []TrustedPhone // SMS/voice targets (obfuscated numbers only)
	CodeLength        int            // usually 6
	Locked            bool           // Apple reports too many codes sent/validated
}

// options reads what the 409 body itself says about delivery.
func (b challengeBody) options() *TwoFactorChallenge {
	tf := &TwoFactorChallenge{HasTrustedDevices: len(bytes.TrimSpace(b.TrustedDevices)) > 2 || !b.NoTrustedDevices,
		Phones: b.TrustedPhoneNumbers, CodeLength: 6}
	if b.PhoneNumberVerification != nil && len(tf.Phones) == 0 {
		tf.Phones = b.PhoneNumberVerification.TrustedPhoneNumbers
	}
	tf.apply(b.SecurityCode)
	return tf
}

func (tf *TwoFactorChallenge) apply(sc *securityCodeInfo) {
	if sc == nil {
		return
	}
	if sc.Length > 0 {
		tf.CodeLength = sc.Length
	}
	tf.Locked = sc.TooManyCodesSent || sc.TooManyCodesValidated || sc.SecurityCodeLocked
}

var bootArgsRE = regexp.MustCompile(`(?s)<script[^>]*class="boot_args"[^>]*>(.*?)</script>`)

// parseBootArgs extracts the delivery options from the HTML of GET auth,
// in the old shape and the 2026 bridgeInitiateData shape.
func parseBootArgs(page []byte) (*TwoFactorChallenge, error) {
	m := bootArgsRE.FindSubmatch(page)
	if m == nil {
		return nil, errors.New("no boot_args in the page")
	}
	var ba bootArgs
	if err := json.Unmarshal(bytes.TrimSpace(m[1]), &ba); err != nil {
		// Some pages HTML-escape the JSON.
		if err2 := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &ba); err2 != nil {
			return nil, err
		}
	}
	d := ba.Direct
	tf := &TwoFactorChallenge{HasTrustedDevices: d.HasTrustedDevices, CodeLength: 6}
	pv := d.TwoSV.PhoneNumberVerification
	if d.TwoSV.BridgeInitiateData != nil && d.TwoSV.BridgeInitiateData.PhoneNumberVerification != nil {
		pv = d.TwoSV.BridgeInitiateData.PhoneNumberVerification
	}
	if pv != nil {
		tf.Phones = pv.TrustedPhoneNumbers
		tf.apply(pv.SecurityCode)
	}
	tf.apply(d.TwoSV.SecurityCode)
	return tf, nil
}

// TwoFactorOptions reads the delivery options (GET auth, boot_args HTML).
// It must follow a SignIn that returned ErrReauthRequired.
func (c *Client) TwoFactorOptions(ctx context.Context) (*TwoFactorChallenge, error) {
	resp, err := c.idmsa(ctx, "auth_options").SetHeader("Accept", "text/html").Get(c.auth)
	if err != nil {
		return nil, transportError(ctx, "auth_options", err)
	}
	if err := c.idmsaStatus("auth_options", resp); err != nil {
		return nil, err
	}
	tf, err := parseBootArgs(resp.Body())
	if err != nil {
		return nil, newError(ErrProtocol, "auth_options", resp.StatusCode(), "cannot read the two-factor options: "+err.Error())
	}
	return tf, nil
}

// RequestDeviceCode asks Apple to show a code on the trusted devices
// (PUT verify/trusteddevice/securitycode, needed since iOS 26.4). Do not
// call it again between showing a code and submitting it: a new push
// invalidates the previous code.
func (c *Client) RequestDeviceCode(ctx context.Context) error {
	resp, err := c.idmsa(ctx, "2fa_push").Put(c.auth + "/verify/trusteddevice/securitycode")
	if err != nil {
		return transportError(ctx, "2fa_push", err)
	}
	if err := c.idmsaStatus("2fa_push", resp); err != nil {
		return err
	}
	c.setPending(&pendingCode{Method: "device"})
	return nil
}

type phoneID struct {
	ID int `json:"id"`
}

type codeValue struct {
	Code string `json:"code"`
}

type phoneCodeRequest struct {
	PhoneNumber  phoneID    `json:"phoneNumber"`
	SecurityCode *codeValue `json:"securityCode,omitempty"`
	Mode         string     `json:"mode"`
}

// RequestPhoneCode sends a code by SMS ("sms") or voice call ("voice") to
// the trusted phone with the given id (TwoFactorChallenge.Phones).
func (c *Client) RequestPhoneCode(ctx context.Context, phone int, mode string) error {
	if mode != "sms" && mode != "voice" {
		return errors.New("icloudapi: phone code mode must be sms or voice")
	}
	body := phoneCodeRequest{PhoneNumber: phoneID{ID: phone}, Mode: mode}
	resp, err := c.idmsa(ctx, "2fa_phone").SetBody(body).Put(c.auth + "/verify/phone")
	if err != nil {
		return transportError(ctx, "2fa_phone", err)
	}
	if err := c.idmsaStatus("2fa_phone", resp); err != nil {
		return err
	}
	c.setPending(&pendingCode{Method: mode, PhoneID: phone})
	return nil
}

func (c *Client) setPending(p *pendingCode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess.Pending = p
}

// SubmitCode sends the code to the endpoint it was requested from (device
// if none was requested: Apple may have pushed it on its own), then trusts
// this client (/2sv/trust) and logs in. ErrWrongCode means try again.
func (c *Client) SubmitCode(ctx context.Context, code string) error {
	c.mu.Lock()
	pending, tokenBefore := c.sess.Pending, c.sess.SessionToken
	c.mu.Unlock()
	var resp *resty.Response
	var err error
	if pending != nil && pending.Method != "device" {
		body := phoneCodeRequest{PhoneNumber: phoneID{ID: pending.PhoneID}, SecurityCode: &codeValue{Code: code}, Mode: pending.Method}
		resp, err = c.idmsa(ctx, "2fa_verify").SetBody(body).Post(c.auth + "/verify/phone/securitycode")
	} else {
		body := map[string]codeValue{"securityCode": {Code: code}}
		resp, err = c.idmsa(ctx, "2fa_verify").SetBody(body).Post(c.auth + "/verify/trusteddevice/securitycode")
	}
	if err != nil {
		return transportError(ctx, "2fa_verify", err)
	}
	if err := c.codeAccepted(resp, tokenBefore); err != nil {
		return err
	}
	c.setPending(nil)
	if err := c.trust(ctx); err != nil {
		return err
	}
	c.accepted() // the attempt that asked for the code ended in a sign-in
	return c.accountLogin(ctx)
}

// codeAccepted: 2xx, or the 2026 answer 409 with securityCode.valid and a
// fresh session token, mean success; -21669 means a wrong code.
func (c *Client) codeAccepted(resp *resty.Response, tokenBefore string) error {
	code := resp.StatusCode()
	if code >= 200 && code < 300 {
		return nil
	}
	if hasCode(resp.Body(), "-21669") {
		return newError(ErrWrongCode, "2fa_verify", code, "Apple did not accept the code")
	}
	if code == http.StatusConflict {
		var body challengeBody
		_ = json.Unmarshal(resp.Body(), &body)
		c.mu.Lock()
		fresh := c.sess.SessionToken != "" && c.sess.SessionToken != tokenBefore
		c.mu.Unlock()
		if fresh && body.SecurityCode != nil && body.SecurityCode.Valid {
			return nil
		}
	}
	return c.idmsaStatus("2fa_verify", resp)
}

// trust asks Apple to remember this client (GET 2sv/trust); the answer's
// X-Apple-TwoSV-Trust-Token is harvested into the session.
func (c *Client) trust(ctx context.Context) error {
	resp, err := c.idmsa(ctx, "2fa_trust").Get(c.auth + "/2sv/trust")
	if err != nil {
		return transportError(ctx, "2fa_trust", err)
	}
	return c.idmsaStatus("2fa_trust", resp)
}

// PhoneLabel is a human label for a trusted phone, e.g. "(•••) •••-••12".
func (p TrustedPhone) PhoneLabel() string {
	if p.ObfuscatedNumber != "" {
		return p.ObfuscatedNumber
	}
	return "phone " + strconv.Itoa(p.ID)
}
