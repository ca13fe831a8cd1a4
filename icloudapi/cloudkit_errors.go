package icloudapi

import (
	"errors"
	"fmt"
	"time"
)

// CloudKit answers many failures with HTTP 200 and a body-level
// serverErrorCode, at top level or per record/zone (icloud-photos.md §6).

// accessDeniedBackoff is how long to stay away after ACCESS_DENIED ("private
// db access disabled"): people who run icloudpd report that this is Apple
// throttling and that it clears after 6–12 hours.
const accessDeniedBackoff = 6 * time.Hour

// ckBodyError is a body-level CloudKit error before classification.
type ckBodyError struct {
	Code, Reason string
	RetryAfter   time.Duration
}

// retryable body codes: transient server conditions worth another try.
var ckRetryable = map[string]bool{
	"RETRY_LATER": true, "TRY_AGAIN_LATER": true, "CAS_OP_LOCK": true, "THROTTLED": true,
	"INTERNAL_ERROR": true, "SERVICE_UNAVAILABLE": true,
}

// classify turns a body-level error into the package's typed error.
// webAccessBlocked is true when the account flags say web access is off or
// Advanced Data Protection is on; it only matters for ACCESS_DENIED.
func (e *ckBodyError) classify(endpoint string, webAccessBlocked bool) *Error {
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
		err := newError(ErrThrottled, endpoint, 0, fmt.Sprintf("iCloud Photos asked to retry later (%s: %s)", e.Code, e.Reason))
		err.Code, err.RetryAfter = e.Code, e.RetryAfter
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
