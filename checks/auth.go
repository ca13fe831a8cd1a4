package checks

import (
	"fmt"
	"time"
)

// staleAfter is how long transient sign-in trouble (throttling, network,
// Apple errors) stays "unknown" before auth turns warning. It never turns
// critical: Apple's throttling is bursty and must not page anyone.
const staleAfter = 24 * time.Hour

// auth judges the sign-in outcome.
func (e *evaluator) auth() CheckResult {
	a := e.obs.Auth
	switch {
	case a.Kind == AuthOK && a.SessionNotKept != "":
		return result(CheckAuth, StatusWarning, "Signed in, but the iCloud session is not being kept between runs: "+a.SessionNotKept,
			sessionKeepRemediation(), nil)
	case a.Kind == AuthOK:
		return result(CheckAuth, StatusOK, "Signed in to iCloud", "", nil)
	case a.Kind == AuthSignInBudget && a.SessionNotKept != "":
		return result(CheckAuth, StatusCritical, withMessage(authShort(a.Kind), a.Message)+"; the session is not being kept between runs: "+a.SessionNotKept,
			sessionKeepRemediation()+" "+authRemediation(a.Kind, e.obs.Account), nil)
	case a.Kind == AuthNone:
		return result(CheckAuth, StatusUnknown, "No sign-in was attempted this cycle", "", nil)
	case a.Kind == AuthPasswordMissing && a.PasswordFix != "":
		return result(CheckAuth, StatusCritical, withMessage(authShort(a.Kind), a.Message),
			fmt.Sprintf("To sign in now, %s. To let icloudmon renew sessions itself, %s.", loginHint(e.obs.Account), a.PasswordFix), nil)
	case a.Kind == AuthWrongRegion:
		return result(CheckAuth, StatusCritical, withMessage(authShort(a.Kind), a.Message),
			regionRemediation(e.obs.Account, a.Region), nil)
	case a.Kind.Blocker():
		return result(CheckAuth, StatusCritical, withMessage(authShort(a.Kind), a.Message),
			authRemediation(a.Kind, e.obs.Account), nil)
	}
	return e.transientAuth(a)
}

// transientAuth handles throttling, network and service errors: unknown,
// or warning once the last successful sign-in is older than staleAfter.
func (e *evaluator) transientAuth(a AuthObservation) CheckResult {
	summary := withMessage(authShort(a.Kind), a.Message)
	if !a.RetryAfter.IsZero() && a.RetryAfter.After(e.now) {
		summary += "; next try " + fmtTime(a.RetryAfter)
	}
	status := StatusUnknown
	last := e.hist.LastSuccess
	if !last.IsZero() {
		summary += fmt.Sprintf("; last successful check %s ago", fmtDur(e.now.Sub(last)))
		if e.now.Sub(last) >= staleAfter {
			status = StatusWarning
		}
	}
	return result(CheckAuth, status, summary, authRemediation(a.Kind, e.obs.Account), nil)
}

// sessionExpiry judges the time left before the session needs a new 2FA.
func (e *evaluator) sessionExpiry() CheckResult {
	exp := e.obs.SessionExpiry
	switch {
	case exp.IsZero() && e.obs.SessionUndated && e.obs.Auth.Kind == AuthOK:
		// Signed in, and the session's cookies carry no date. An
		// unknown here could never clear (it is Apple's answer, not the
		// user's setup), so the check is ok and says there is no forecast;
		// auth turns critical as soon as Apple asks for a new sign-in.
		return result(CheckSessionExpiry, StatusOK, "The iCloud session works; Apple's cookies state no expiry date, "+
			"so no advance warning is possible (auth turns critical when Apple asks for a new sign-in)", "", nil)
	case exp.IsZero():
		return e.notRead(CheckSessionExpiry, "the session expiry")
	}
	left := exp.Sub(e.now)
	rem := sessionRemediation(e.obs.Account, exp)
	switch {
	case left <= 0:
		return result(CheckSessionExpiry, StatusCritical, "The iCloud session expired on "+fmtTime(exp), rem, nil)
	case left < e.p.SessionCritical:
		return result(CheckSessionExpiry, StatusCritical, "The iCloud session expires in "+fmtDur(left)+" ("+fmtTime(exp)+")", rem, nil)
	case left < e.p.SessionWarning:
		return result(CheckSessionExpiry, StatusWarning, "The iCloud session expires in "+fmtDur(left)+" ("+fmtTime(exp)+")", rem, nil)
	}
	return result(CheckSessionExpiry, StatusOK, "The iCloud session is valid until "+fmtTime(exp), "", nil)
}

// authShort is a one-line description of a sign-in outcome (authTable).
func authShort(k AuthKind) string {
	if d, ok := lookupAuth(k); ok {
		return d.short
	}
	return "sign-in failed (" + string(k) + ")"
}

// withMessage appends Apple's or the client's message to a summary.
func withMessage(summary, msg string) string {
	return withReason(capitalize(summary), msg)
}
