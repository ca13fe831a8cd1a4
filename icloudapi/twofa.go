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
	resp, err := c.idmsaAfter(ctx, "auth_options").SetHeader("Accept", "text/html").Get(c.auth)
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
//
// The next SubmitCode goes to the trusted-device endpoint whatever the
// answer: Apple answers this trigger 405 or 412 for some accounts (2026)
// while a code still reaches the devices another way, so callers log a
// failure here and still ask for the code, as icloudpd (PR #1335), kei
// (twofa.rs) and rclone (RequestPushNotification) do.
func (c *Client) RequestDeviceCode(ctx context.Context) error {
	c.setPending(&pendingCode{Method: "device"})
	resp, err := c.idmsaAfter(ctx, "2fa_push").Put(c.auth + "/verify/trusteddevice/securitycode")
	if err != nil {
		return transportError(ctx, "2fa_push", err)
	}
	return c.idmsaStatus("2fa_push", resp)
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
	resp, err := c.idmsaAfter(ctx, "2fa_phone").SetBody(body).Put(c.auth + "/verify/phone")
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
//
// Apple accepts a right code in several wrappings:
// 2xx; 409 or 412 whose body says securityCode.valid:true, with or without
// a new X-Apple-Session-Token (rclone#9730, icloudpd#1026, kei PR #597).
// In every case 2sv/trust, called with the current idmsa session, returns
// the trust token and the session token for accountLogin. The session
// token from before the code is never replayed: if neither answer brought
// a new one, the sign-in fails with ErrProtocol.
func (c *Client) SubmitCode(ctx context.Context, code string) error {
	c.mu.Lock()
	pending, tokenBefore := c.sess.Pending, c.sess.SessionToken
	c.mu.Unlock()
	var resp *resty.Response
	var err error
	if pending != nil && pending.Method != "device" {
		body := phoneCodeRequest{PhoneNumber: phoneID{ID: pending.PhoneID}, SecurityCode: &codeValue{Code: code}, Mode: pending.Method}
		resp, err = c.idmsaAfter(ctx, "2fa_verify").SetBody(body).Post(c.auth + "/verify/phone/securitycode")
	} else {
		body := map[string]codeValue{"securityCode": {Code: code}}
		resp, err = c.idmsaAfter(ctx, "2fa_verify").SetBody(body).Post(c.auth + "/verify/trusteddevice/securitycode")
	}
	if err != nil {
		return transportError(ctx, "2fa_verify", err)
	}
	if err := c.codeAccepted(resp); err != nil {
		return err
	}
	c.setPending(nil)
	if err := c.trust(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	fresh := c.sess.SessionToken != "" && c.sess.SessionToken != tokenBefore
	c.mu.Unlock()
	if !fresh {
		e := newError(ErrProtocol, "2fa_trust", 0, "Apple accepted the code but sent no new session token")
		e.Remediation = "run `icloudmon login` again"
		return e
	}
	c.accepted() // the attempt that asked for the code ended in a sign-in
	return c.accountLogin(ctx)
}

// codeAccepted reads the answer to a code submission: 2xx, or 409/412
// whose body says securityCode.valid:true, mean the code was right;
// -21669 means a wrong code; anything else is an error.
func (c *Client) codeAccepted(resp *resty.Response) error {
	code := resp.StatusCode()
	if code >= 200 && code < 300 {
		return nil
	}
	if hasCode(resp.Body(), "-21669") {
		return newError(ErrWrongCode, "2fa_verify", code, "Apple did not accept the code")
	}
	if code == http.StatusConflict || code == http.StatusPreconditionFailed {
		var body challengeBody
		if json.Unmarshal(resp.Body(), &body) == nil && body.SecurityCode != nil && body.SecurityCode.Valid {
			c.log.Debug("Apple accepted the code with a non-2xx status", "status", code)
			return nil
		}
	}
	return c.idmsaStatus("2fa_verify", resp)
}

// trust asks Apple to remember this client (GET 2sv/trust); the answer's
// X-Apple-TwoSV-Trust-Token is harvested into the session.
func (c *Client) trust(ctx context.Context) error {
	resp, err := c.idmsaAfter(ctx, "2fa_trust").Get(c.auth + "/2sv/trust")
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
