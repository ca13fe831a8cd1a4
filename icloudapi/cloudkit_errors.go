package icloudapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CloudKit reports a failure of a whole request with the HTTP status of
// Apple's CloudKit Web Services error table (400 BAD_REQUEST, 401
// AUTHENTICATION_FAILED, 403 ACCESS_DENIED, 404 ZONE_NOT_FOUND/NOT_FOUND, 421
// AUTHENTICATION_REQUIRED, 429 THROTTLED, 503 TRY_AGAIN_LATER, …) and a body
// {uuid, serverErrorCode, reason, retryAfter?}. Only errors of one zone or
// one record arrive inside an HTTP 200 answer. Both are read here: the code
// and reason decide, whatever the status.

// accessDeniedBackoff is how long to stay away after ACCESS_DENIED ("private
// db access disabled"): people who run icloudpd report that this is Apple
// throttling and that it clears after 6–12 hours.
const accessDeniedBackoff = 6 * time.Hour

// throttledBackoff is how long to stay away after THROTTLED, TRY_AGAIN_LATER
// or RETRY_LATER when Apple names no wait (neither retryAfter in the body
// nor a Retry-After header): a cron job must not come back within minutes.
const throttledBackoff = 2 * time.Hour

// ckBodyError is a body-level CloudKit error before classification.
type ckBodyError struct {
	Code, Reason string
	RetryAfter   time.Duration
	Status       int // HTTP status of the answer (200 for a body-level error)
}

// ckStatusError is a non-2xx answer whose body is a CloudKit error document.
// It unwraps to the error the status alone maps to (ErrSessionExpired for
// 401/421, ErrThrottled for 429/503, *HTTPError, …), so callers that do not
// know CloudKit keep working; the Photos reader classifies it by its code.
type ckStatusError struct {
	be  ckBodyError
	err error
}

func (e *ckStatusError) Error() string {
	var ae *Error
	if errors.As(e.err, &ae) {
		return e.err.Error() // its message names the code and reason already
	}
	return fmt.Sprintf("%s (CloudKit %s: %s)", e.err.Error(), e.be.Code, e.be.Reason)
}

func (e *ckStatusError) Unwrap() error { return e.err }

// ckErrorDocument reads a CloudKit error document {uuid, serverErrorCode,
// reason, retryAfter}; ok is false for any other body (HTML, empty, …).
func ckErrorDocument(body []byte) (ckBodyError, bool) {
	var d struct {
		ServerErrorCode string          `json:"serverErrorCode"`
		Reason          string          `json:"reason"`
		RetryAfter      json.RawMessage `json:"retryAfter"`
	}
	if json.Unmarshal(body, &d) != nil || strings.TrimSpace(d.ServerErrorCode) == "" {
		return ckBodyError{}, false
	}
	be := topError(strings.TrimSpace(d.ServerErrorCode), d.Reason, d.RetryAfter)
	return *be, true
}

// retryable body codes: transient server conditions worth another try.
var ckRetryable = map[string]bool{
	"RETRY_LATER": true, "TRY_AGAIN_LATER": true, "CAS_OP_LOCK": true, "THROTTLED": true,
	"INTERNAL_ERROR": true, "SERVICE_UNAVAILABLE": true,
}

// ckThrottle are the codes by which Apple asks a client to come back later:
// without a stated wait they get throttledBackoff.
var ckThrottle = map[string]bool{"THROTTLED": true, "TRY_AGAIN_LATER": true, "RETRY_LATER": true}

// classify turns a body-level error into the package's typed error.
// webAccessBlocked is true when the account flags say web access is off or
// Advanced Data Protection is on; it only matters for ACCESS_DENIED.
func (e *ckBodyError) classify(endpoint string, webAccessBlocked bool) *Error {
	err := e.kindOf(endpoint, webAccessBlocked)
	err.Status = e.Status
	return err
}

func (e *ckBodyError) kindOf(endpoint string, webAccessBlocked bool) *Error {
	switch {
	case e.Code == "ZONE_NOT_FOUND" || e.Code == "AUTHENTICATION_FAILED":
		err := newError(ErrNotActivated, endpoint, 0, fmt.Sprintf("iCloud Photos answered %s (%s): the library is not set up for the web", e.Code, e.Reason))
		err.Code, err.Remediation = e.Code, notActivatedHelp
		return err
	case e.Code == "ACCESS_DENIED" && webAccessBlocked:
		err := newError(ErrWebAccessDisabled, endpoint, 0, fmt.Sprintf("iCloud Photos denied access (%s)", e.Reason))
		err.Code, err.RetryAfter = e.Code, accessDeniedBackoff
		return err
	case e.Code == "ACCESS_DENIED":
		err := newError(ErrThrottled, endpoint, 0, fmt.Sprintf("iCloud Photos denied access (%s); Apple uses this answer to throttle, icloudmon stays away for %s", e.Reason, accessDeniedBackoff))
		err.Code, err.RetryAfter = e.Code, accessDeniedBackoff
		err.Remediation = "nothing to do if it clears by itself; if it persists, check that \"Access iCloud Data on the Web\" is on and Advanced Data Protection is off"
		return err
	case ckRetryable[e.Code]:
		wait := e.RetryAfter
		if wait <= 0 && ckThrottle[e.Code] {
			wait = throttledBackoff
		}
		err := newError(ErrThrottled, endpoint, 0, fmt.Sprintf("iCloud Photos asked to retry later (%s: %s)", e.Code, e.Reason))
		err.Code, err.RetryAfter = e.Code, wait
		return err
	case e.Code == "BAD_REQUEST" && strings.Contains(strings.ToLower(e.Reason), "index"):
		err := newError(ErrProtocol, endpoint, 0, fmt.Sprintf("iCloud Photos cannot answer this query on the library (%s: %s)", e.Code, e.Reason))
		err.Code = e.Code
		err.Remediation = "nothing to do on the iPhone; Apple's index for this library refused the query (seen on Shared Libraries); check for an icloudmon update if it persists"
		return err
	}
	err := newError(ErrProtocol, endpoint, 0, fmt.Sprintf("iCloud Photos refused the request (%s: %s)", e.Code, e.Reason))
	err.Code = e.Code
	err.Remediation = "this is unexpected; check for an icloudmon update and report it if it persists"
	return err
}

// ErrNotActivated: iCloud Photos answered ZONE_NOT_FOUND or
// AUTHENTICATION_FAILED, which means the account has not finished setting
// up iCloud (or iCloud Photos) for the web.
var ErrNotActivated = errors.New("iCloud Photos not set up for this account")

const notActivatedHelp = "finish setting up iCloud at https://www.icloud.com (sign in once and open Photos), and check that iCloud Photos is on for this Apple ID"
