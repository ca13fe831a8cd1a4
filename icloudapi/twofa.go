package icloudapi

// TwoFactorChallenge describes how a 2FA code can be delivered. It comes
// with ErrReauthRequired so that `icloudmon login` can offer the choices.
type TwoFactorChallenge struct {
	HasTrustedDevices bool           // a push to Apple devices is possible
	Phones            []TrustedPhone // SMS/voice targets (obfuscated numbers only)
	CodeLength        int            // usually 6
	Locked            bool           // Apple reports too many codes sent/validated
}
