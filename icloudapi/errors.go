package icloudapi

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel kinds. Every *Error unwraps to exactly one of them, so callers
// test with errors.Is(err, icloudapi.ErrThrottled) and read the details with
// errors.As(err, &apiErr).
var (
	// ErrReauthRequired: Apple asks for a two-factor code; a human must run
	// `icloudmon login`. The *Error carries the delivery options if known.
	ErrReauthRequired = errors.New("two-factor authentication required")
	// ErrPasswordRejected: Apple rejected the password (-20101), or it was
	// rejected before and automatic sign-in is blocked until it changes.
	ErrPasswordRejected = errors.New("password rejected")
	// ErrAccountLocked: the Apple ID is locked (-20209 and friends).
	ErrAccountLocked = errors.New("account locked")
	// ErrWebAccessDisabled: "Access iCloud Data on the Web" is off or
	// Advanced Data Protection blocks web access.
	ErrWebAccessDisabled = errors.New("iCloud web access disabled")
	// ErrTermsNotAccepted: new iCloud terms must be accepted on icloud.com.
	ErrTermsNotAccepted = errors.New("iCloud terms not accepted")
	// ErrWrongRegion: the account lives in another region (domainToUse).
	ErrWrongRegion = errors.New("wrong iCloud region")
	// ErrSecurityKeyOnly: the account requires a hardware security key.
	ErrSecurityKeyOnly = errors.New("security key required")
	// ErrThrottled: Apple answered 429/503; wait RetryAfter (if known).
	ErrThrottled = errors.New("throttled by Apple")
	// ErrSessionExpired: the web session is no longer valid (401/421).
	ErrSessionExpired = errors.New("session expired")
	// ErrSignInBudget: an automatic sign-in budget (3 failed or 12 accepted SRP attempts per
	// 24 h) is used up; nothing was sent to Apple.
	ErrSignInBudget = errors.New("automatic sign-in budget exhausted")
	// ErrNoPassword: a sign-in is needed but no password is available.
	ErrNoPassword = errors.New("password needed")
	// ErrWrongCode: the two-factor code was not accepted (-21669).
	ErrWrongCode = errors.New("verification code rejected")
	// ErrProtocol: Apple's answer could not be understood.
	ErrProtocol = errors.New("unexpected response from Apple")
)

// Error is the typed error of this package. Message says what happened and
// Remediation what to do; neither ever contains a secret.
type Error struct {
	Kind        error         // one of the Err* sentinels
	Endpoint    string        // short label of the request, e.g. "signin_complete"
	Status      int           // HTTP status, 0 if none
	Code        string        // Apple service error code, e.g. "-20101"
	Message     string        // what happened, for humans
	Remediation string        // what to do
	RetryAfter  time.Duration // for ErrThrottled; 0 if Apple gave none
	Domain      string        // for ErrWrongRegion: Apple's domainToUse
	TwoFactor   *TwoFactorChallenge
}

func (e *Error) Error() string {
	s := e.Message
	if s == "" {
		s = e.Kind.Error()
	}
	if e.Endpoint != "" {
		s = e.Endpoint + ": " + s
	}
	if e.Remediation != "" {
		s += " (" + e.Remediation + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Kind }

// HTTPError is returned for non-2xx answers that have no specific meaning.
type HTTPError struct {
	Endpoint string
	Status   int
	Code     string // Apple service error code if the body had one
}

func (e *HTTPError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s: Apple answered HTTP %d (code %s)", e.Endpoint, e.Status, e.Code)
	}
	return fmt.Sprintf("%s: Apple answered HTTP %d", e.Endpoint, e.Status)
}

// remediations per kind, shared so messages stay consistent.
var remediation = map[error]string{
	ErrReauthRequired:    "run `icloudmon login` and enter the code Apple sends",
	ErrPasswordRejected:  "check the Apple ID password in the credential store and run `icloudmon login`",
	ErrAccountLocked:     "unlock the account at https://iforgot.apple.com, then run `icloudmon login`",
	ErrWebAccessDisabled: "turn on \"Access iCloud Data on the Web\" in iCloud settings; accounts with Advanced Data Protection cannot be monitored headless",
	ErrTermsNotAccepted:  "sign in once at https://www.icloud.com and accept the new terms",
	ErrWrongRegion:       "set `region: china` for this account (or the region Apple names)",
	ErrSecurityKeyOnly:   "this account requires a hardware security key, which icloudmon cannot use",
	ErrThrottled:         "wait and try later; icloudmon backs off by itself",
	ErrSessionExpired:    "icloudmon signs in again automatically; if this persists run `icloudmon login`",
	ErrSignInBudget:      "wait up to 24 hours or run `icloudmon login` by hand",
	ErrNoPassword:        "store the password with `icloudmon password set` or run `icloudmon login`",
	ErrWrongCode:         "enter the newest code shown on your device or sent by SMS",
	ErrProtocol:          "Apple may have changed its sign-in; check for an icloudmon update",
}

// newError builds an *Error of kind with the standard remediation.
func newError(kind error, endpoint string, status int, msg string) *Error {
	return &Error{Kind: kind, Endpoint: endpoint, Status: status, Message: msg, Remediation: remediation[kind]}
}
