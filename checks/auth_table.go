package checks

import "fmt"

// authDef is one sign-in outcome: the one place that says how it reads,
// whether a person must act and what they should do. authShort,
// authRemediation, Blocker, NeedsLogin and AuthKinds (the metric's label
// values) derive from authTable; the agent maps icloudapi's errors onto
// these kinds in one table of its own (agent/icloud.go authKinds).
type authDef struct {
	kind AuthKind
	// short is the one-line description in summaries.
	short string
	// blocker: a person must act; auth is critical.
	blocker bool
	// needsLogin: `icloudmon login` (perhaps after a password change or
	// unlock) fixes it.
	needsLogin bool
	// advice is what the person should do; remedy says it for texts
	// that name the account. Neither: the generic advice.
	advice string
	remedy func(account string) string
}

// authTable lists every sign-in outcome.
var authTable = []authDef{
	{kind: AuthNone, short: "no sign-in was attempted"},
	{kind: AuthOK, short: "signed in"},
	{kind: AuthReauthRequired, short: "Apple needs a new two-factor sign-in", blocker: true, needsLogin: true,
		remedy: func(account string) string {
			return "Apple wants a fresh two-factor sign-in. To continue, " + loginHint(account) + ". Until then icloudmon cannot see new photos for this account."
		}},
	{kind: AuthPasswordRejected, short: "Apple rejected the stored password", blocker: true, needsLogin: true,
		remedy: func(account string) string {
			return fmt.Sprintf("If the Apple ID password was changed, store the new one with `icloudmon password set --account %s`, then %s. icloudmon will not retry the old password, so it cannot lock the account.", account, loginHint(account))
		}},
	{kind: AuthPasswordMissing, short: "the session expired and no password is available", blocker: true, needsLogin: true,
		remedy: func(account string) string {
			return fmt.Sprintf("To sign in now, %s. To let icloudmon renew sessions itself, store the password with `icloudmon password set --account %s`.", loginHint(account), account)
		}},
	{kind: AuthLocked, short: "the Apple ID is locked", blocker: true, needsLogin: true,
		remedy: func(account string) string {
			return "Apple locked this Apple ID for security reasons. Unlock it at https://iforgot.apple.com or on the iPhone when it asks, then " + loginHint(account) + ". icloudmon has stopped signing in so it does not make things worse."
		}},
	{kind: AuthPasswordChangeRequired, short: "Apple requires a password change", blocker: true, needsLogin: true,
		remedy: func(account string) string {
			return fmt.Sprintf("Change the password on the iPhone (Settings › [your name] › Sign-In & Security › Change Password), store it with `icloudmon password set --account %s`, then %s.", account, loginHint(account))
		}},
	{kind: AuthWebAccessDisabled, short: "iCloud web access to this account is turned off (Advanced Data Protection)", blocker: true,
		remedy: func(account string) string {
			return "On the iPhone open Settings › [your name] › iCloud and turn on \"Access iCloud Data on the Web\". With Advanced Data Protection on, Apple asks for approval on a device at every web sign-in, so unattended checking may not be possible for this account."
		}},
	{kind: AuthTermsNotAccepted, short: "new iCloud terms must be accepted", blocker: true,
		advice: "Apple has new iCloud terms. Sign in once at https://www.icloud.com in a browser with this Apple ID and accept them; the next check continues by itself."},
	{kind: AuthSetupIncomplete, short: "iCloud setup is not complete for this account", blocker: true,
		advice: "Sign in once at https://www.icloud.com and open Photos to finish the setup, and make sure iCloud Photos is on (iPhone: Settings › [your name] › iCloud › Photos › Sync this iPhone)."},
	{kind: AuthWrongRegion, short: "the account belongs to the other iCloud region", blocker: true,
		remedy: func(account string) string {
			return "Apple IDs from mainland China use icloud.com.cn. Set `region: china` (or `region: global`) for this account in the icloudmon configuration and restart icloudmon."
		}},
	{kind: AuthSecurityKeyOnly, short: "the Apple ID requires a hardware security key", blocker: true,
		remedy: func(account string) string {
			return "This Apple ID can only sign in with a hardware security key, which an unattended agent cannot use. icloudmon cannot verify this account; remove it from the configuration or check its photos another way."
		}},
	{kind: AuthSignInBudget, short: "automatic sign-ins are paused (sign-in budget of 24 hours used)", blocker: true, needsLogin: true,
		remedy: func(account string) string {
			return "icloudmon pauses automatic sign-ins after 3 failed attempts in 24 hours so that Apple does not lock the Apple ID (and after 12 accepted ones, which only happen when the session is not kept); it tries again later by itself. To continue now, " + loginHint(account) + "."
		}},
	{kind: AuthThrottled, short: "Apple is limiting sign-ins (throttled)",
		advice: "Nothing to do unless this lasts more than a day: icloudmon backs off and retries. Make sure no other tool (icloudpd, a second icloudmon) signs in with this Apple ID at the same time, and avoid VPN exits, which Apple often limits."},
	{kind: AuthNetworkError, short: "Apple could not be reached (network error)",
		advice: "Check the internet connection, DNS and proxy settings of the machine (or container) running icloudmon; it retries by itself."},
	{kind: AuthServiceError, short: "Apple answered with an unexpected error",
		advice: "icloudmon retries by itself. If this lasts more than a day, look for an icloudmon update: Apple may have changed something."},
}

// AuthKinds returns every sign-in outcome but AuthNone, in table order (a
// fresh slice).
func AuthKinds() []AuthKind {
	var out []AuthKind
	for _, d := range authTable {
		if d.kind != AuthNone {
			out = append(out, d.kind)
		}
	}
	return out
}

func lookupAuth(k AuthKind) (authDef, bool) {
	for _, d := range authTable {
		if d.kind == k {
			return d, true
		}
	}
	return authDef{}, false
}
