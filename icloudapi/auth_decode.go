package icloudapi

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/go-resty/resty/v2"
)

// Wire types of the auth and setup answers; only the fields in use.

type serviceError struct {
	Code    string `json:"code"`
	Title   string `json:"title"`
	Message string `json:"message"`
}

// errorBody covers both spellings Apple uses.
type errorBody struct {
	ServiceErrors []serviceError `json:"serviceErrors"`
	SnakeErrors   []serviceError `json:"service_errors"`
	HasError      bool           `json:"hasError"`
}

func (b errorBody) codes() []string {
	var out []string
	for _, e := range append(b.ServiceErrors, b.SnakeErrors...) {
		out = append(out, e.Code)
	}
	return out
}

// serviceErrorCode returns the first Apple error code of body, or "".
func serviceErrorCode(body []byte) string {
	var b errorBody
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	if c := b.codes(); len(c) > 0 {
		return c[0]
	}
	return ""
}

type signinInitResponse struct {
	Iteration int             `json:"iteration"`
	Salt      string          `json:"salt"`
	Protocol  string          `json:"protocol"`
	B         string          `json:"b"`
	C         json.RawMessage `json:"c"`
}

// TrustedPhone is a phone number that can receive a 2FA code.
type TrustedPhone struct {
	ID               int    `json:"id"`
	ObfuscatedNumber string `json:"obfuscatedNumber"`
	LastTwoDigits    string `json:"lastTwoDigits,omitempty"`
	PushMode         string `json:"pushMode,omitempty"` // "sms" or "voice"
	NonFTEU          *bool  `json:"nonFTEU,omitempty"`
}

type securityCodeInfo struct {
	Length                int  `json:"length"`
	Valid                 bool `json:"valid"`
	TooManyCodesSent      bool `json:"tooManyCodesSent"`
	TooManyCodesValidated bool `json:"tooManyCodesValidated"`
	SecurityCodeLocked    bool `json:"securityCodeLocked"`
	SecurityCodeCooldown  bool `json:"securityCodeCooldown"`
}

type phoneVerification struct {
	TrustedPhoneNumbers []TrustedPhone    `json:"trustedPhoneNumbers"`
	SecurityCode        *securityCodeInfo `json:"securityCode"`
}

// challengeBody is the 409 of signin/complete (and the JSON of GET auth).
type challengeBody struct {
	AuthType                string             `json:"authType"`
	AuthTypeSnake           string             `json:"auth_type"`
	TrustedDevices          json.RawMessage    `json:"trustedDevices"`
	TrustedPhoneNumbers     []TrustedPhone     `json:"trustedPhoneNumbers"`
	PhoneNumberVerification *phoneVerification `json:"phoneNumberVerification"`
	SecurityCode            *securityCodeInfo  `json:"securityCode"`
	FSAChallenge            json.RawMessage    `json:"fsaChallenge"`
	KeyNames                []string           `json:"keyNames"`
	NoTrustedDevices        bool               `json:"noTrustedDevices"`
}

func (b challengeBody) securityKeyOnly() bool {
	fsa := bytes.TrimSpace(b.FSAChallenge)
	return len(fsa) > 0 && !bytes.Equal(fsa, []byte("null")) || len(b.KeyNames) > 0
}

type webservice struct {
	URL         string `json:"url"`
	Status      string `json:"status"`
	PCSRequired bool   `json:"pcsRequired"`
}

type dsInfo struct {
	DSID                      string `json:"dsid"`
	HSAVersion                int    `json:"hsaVersion"`
	ICDPEnabled               bool   `json:"iCDPEnabled"`
	IsWebAccessAllowed        *bool  `json:"isWebAccessAllowed"`
	HasICloudQualifyingDevice *bool  `json:"hasICloudQualifyingDevice"`
	Locked                    bool   `json:"locked"`
}

// accountLoginResponse is the answer of accountLogin and validate.
type accountLoginResponse struct {
	errorBody
	DSInfo               *dsInfo               `json:"dsInfo"`
	Webservices          map[string]webservice `json:"webservices"`
	HSAChallengeRequired bool                  `json:"hsaChallengeRequired"`
	HSATrustedBrowser    bool                  `json:"hsaTrustedBrowser"`
	ICDPEnabled          bool                  `json:"iCDPEnabled"`
	TermsUpdateNeeded    bool                  `json:"termsUpdateNeeded"`
	DomainToUse          string                `json:"domainToUse"`
}

// check turns the flags of an accountLogin/validate answer into a typed
// error; nil means the session is usable for Photos.
func (r *accountLoginResponse) check(endpoint string) error {
	switch {
	case r.DomainToUse != "":
		return wrongRegion(endpoint, 0, r.DomainToUse)
	case r.TermsUpdateNeeded:
		return newError(ErrTermsNotAccepted, endpoint, 0, "Apple asks to accept new iCloud terms")
	case len(r.codes()) > 0 || r.HasError:
		return newError(ErrSessionExpired, endpoint, 0, "Apple rejected the session token (code "+strings.Join(r.codes(), ",")+")")
	case r.DSInfo == nil:
		return newError(ErrProtocol, endpoint, 0, "the answer has no dsInfo")
	case r.ICDPEnabled || r.DSInfo.ICDPEnabled:
		return newError(ErrWebAccessDisabled, endpoint, 0, "Advanced Data Protection is on for this account")
	case r.DSInfo.IsWebAccessAllowed != nil && !*r.DSInfo.IsWebAccessAllowed:
		return newError(ErrWebAccessDisabled, endpoint, 0, "\"Access iCloud Data on the Web\" is off for this account")
	case r.DSInfo.Locked:
		return newError(ErrAccountLocked, endpoint, 0, "Apple reports the account as locked")
	case r.DSInfo.HSAVersion == 1 && r.HSAChallengeRequired:
		e := newError(ErrReauthRequired, endpoint, 0, "the account uses Apple's legacy two-step verification, which icloudmon does not support")
		e.Remediation = "turn on two-factor authentication for the Apple ID, then run `icloudmon login`"
		return e
	case r.needs2FA():
		return newError(ErrReauthRequired, endpoint, 0, "the two-factor trust of this session has expired")
	}
	return nil
}

// needs2FA is the "2FA required" test of icloudpd and kei: HSA2, a
// challenge or an untrusted browser, and a device that can show a code
// (hasICloudQualifyingDevice; an answer without the field counts as
// having one, so that a missing field never hides a needed sign-in).
func (r *accountLoginResponse) needs2FA() bool {
	qualifying := r.DSInfo.HasICloudQualifyingDevice == nil || *r.DSInfo.HasICloudQualifyingDevice
	return r.DSInfo.HSAVersion == 2 && (r.HSAChallengeRequired || !r.HSATrustedBrowser) && qualifying
}

// bootArgs is the JSON inside <script class="boot_args"> of GET auth, in
// both the old shape and the 2026 bridgeInitiateData shape.
type bootArgs struct {
	Direct struct {
		AuthType          string `json:"authType"`
		HasTrustedDevices bool   `json:"hasTrustedDevices"`
		AuthInitialRoute  string `json:"authInitialRoute"`
		TwoSV             struct {
			PhoneNumberVerification *phoneVerification `json:"phoneNumberVerification"`
			SecurityCode            *securityCodeInfo  `json:"securityCode"`
			BridgeInitiateData      *struct {
				PhoneNumberVerification *phoneVerification `json:"phoneNumberVerification"`
			} `json:"bridgeInitiateData"`
		} `json:"twoSV"`
	} `json:"direct"`
}

// wrongRegion is the error for an answer naming another iCloud domain.
func wrongRegion(endpoint string, status int, domain string) *Error {
	e := newError(ErrWrongRegion, endpoint, status, "Apple says this account belongs to "+domain)
	e.Domain = domain
	e.Remediation = "set `region: " + RegionOf(domain) + "` for this account"
	return e
}

// RegionOf names the icloudmon region of an iCloud domain such as Apple's
// domainToUse: "china" for icloud.com.cn, else "global".
func RegionOf(domain string) string {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if d == "cn" || strings.HasSuffix(d, ".cn") {
		return "china"
	}
	return "global"
}

// regionAnswer recognises an answer, in any HTTP status, whose body names
// the domain the account must use ({"domainToUse":"iCloud.com.cn"}; users
// saw it with a 302 without Location). nil when the body says nothing of
// the kind.
func regionAnswer(endpoint string, resp *resty.Response) *Error {
	body := resp.Body()
	if !bytes.Contains(body, []byte("domainToUse")) {
		return nil
	}
	var r struct {
		DomainToUse string `json:"domainToUse"`
	}
	if json.Unmarshal(body, &r) != nil || strings.TrimSpace(r.DomainToUse) == "" {
		return nil
	}
	return wrongRegion(endpoint, resp.StatusCode(), strings.TrimSpace(r.DomainToUse))
}
