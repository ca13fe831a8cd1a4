package icloudapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// sessionVersion is bumped when the blob layout changes incompatibly.
const sessionVersion = 1

// session is everything that must survive a restart. It is secret as a
// whole: the blob belongs in the credential store, never in a log.
type session struct {
	Version        int               `json:"v"`
	Account        string            `json:"account"` // normalised Apple ID
	ClientID       string            `json:"client_id"`
	Cookies        []storedCookie    `json:"cookies,omitempty"`
	SessionToken   string            `json:"session_token,omitempty"`
	TrustToken     string            `json:"trust_token,omitempty"`
	SCNT           string            `json:"scnt,omitempty"`
	SessionID      string            `json:"session_id,omitempty"`
	AuthAttributes string            `json:"auth_attributes,omitempty"`
	AccountCountry string            `json:"account_country,omitempty"`
	TrustEligible  string            `json:"trust_eligible,omitempty"`
	DSID           string            `json:"dsid,omitempty"`
	Webservices    map[string]string `json:"webservices,omitempty"`
	// Attempts are the automatic and interactive SRP attempts that did not
	// end in a sign-in (wrong password, 2FA asked, errors): the ones that
	// can lock an Apple ID. Blobs from before the split kept every attempt
	// here, which only errs on the safe side.
	Attempts []time.Time `json:"srp_attempts,omitempty"`
	// SignIns are the SRP attempts Apple accepted.
	SignIns     []time.Time    `json:"srp_sign_ins,omitempty"`
	Rejected    *pwFingerprint `json:"rejected_password,omitempty"`
	Pending     *pendingCode   `json:"pending_code,omitempty"`
	WrongRegion *regionBlock   `json:"wrong_region,omitempty"`
}

// regionBlock remembers that Apple named another iCloud domain for this
// account, and at which setup endpoint: until the region (and so the setup
// URL) changes or a person runs `icloudmon login`, automatic sign-ins stop
// without a request, because every attempt would be answered the same way.
type regionBlock struct {
	Domain string    `json:"domain"`
	Setup  string    `json:"setup"`
	At     time.Time `json:"at"`
}

// pwFingerprint identifies a rejected password without storing it: an
// HMAC-SHA256 keyed with a random salt that lives only in this blob.
type pwFingerprint struct {
	Salt []byte `json:"salt"`
	Sum  []byte `json:"sum"`
}

// pendingCode remembers how the current 2FA code was requested, so that a
// restarted process can submit it to the right endpoint.
type pendingCode struct {
	Method  string `json:"method"` // "device" | "sms" | "voice"
	PhoneID int    `json:"phone_id,omitempty"`
}

func newFingerprint(password string) *pwFingerprint {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	return &pwFingerprint{Salt: salt, Sum: fingerprintSum(salt, password)}
}

func fingerprintSum(salt []byte, password string) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(password))
	return m.Sum(nil)
}

// matches reports whether password is the one that was rejected.
func (f *pwFingerprint) matches(password string) bool {
	return f != nil && hmac.Equal(f.Sum, fingerprintSum(f.Salt, password))
}

// newClientID returns "auth-<uuid4>", the frame/state id idmsa expects.
func newClientID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return "auth-" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// MarshalSession returns the session as an opaque blob for the credential
// store. It contains secrets (cookies and tokens).
func (c *Client) MarshalSession() ([]byte, error) {
	c.mu.Lock()
	s := *c.sess
	c.mu.Unlock()
	s.Version = sessionVersion
	s.Cookies = c.jar.snapshot()
	return json.Marshal(&s) //nolint:gosec // G117: the blob is the secret session, stored only in the credential store
}

// RestoreSession replaces the client's session with one saved by
// MarshalSession. A blob of another Apple ID or an unknown version is
// refused, so a mix-up never sends one account's cookies for another.
func (c *Client) RestoreSession(blob []byte) error {
	var s session
	if err := json.Unmarshal(blob, &s); err != nil {
		return fmt.Errorf("saved iCloud session is corrupt (run `icloudmon login` to create a new one): %w", err)
	}
	if s.Version != sessionVersion {
		return fmt.Errorf("saved iCloud session has version %d, want %d (run `icloudmon login`)", s.Version, sessionVersion)
	}
	if s.Account != c.sess.Account {
		return fmt.Errorf("saved iCloud session belongs to another Apple ID (run `icloudmon login`)")
	}
	if s.ClientID == "" {
		s.ClientID = newClientID()
	}
	c.mu.Lock()
	c.sess = &s
	c.mu.Unlock()
	c.jar.restore(s.Cookies)
	return nil
}

// SessionExpiry is the earliest expiry among the cookies that carry the web
// session and the 2FA trust. ok is false when none of them is present.
func (c *Client) SessionExpiry() (expiry time.Time, ok bool) {
	for _, name := range expiryCookies {
		ck, found := c.jar.find(name)
		if !found || ck.Expires.IsZero() {
			continue
		}
		if !ok || ck.Expires.Before(expiry) {
			expiry, ok = ck.Expires, true
		}
	}
	return expiry, ok
}

// SessionUndated reports whether the session holds at least one of the
// cookies whose expiry SessionExpiry reads and none of them states a date
// (session cookies). Apple dates them (about 30 days); a server that does
// not leaves no way to warn ahead of the expiry.
func (c *Client) SessionUndated() bool {
	held := false
	for _, name := range expiryCookies {
		ck, found := c.jar.find(name)
		if found && !ck.Expires.IsZero() {
			return false
		}
		held = held || found
	}
	return held
}

var expiryCookies = []string{"X-APPLE-WEBAUTH-USER", "X-APPLE-DS-WEB-SESSION-TOKEN", "X-APPLE-WEBAUTH-HSA-TRUST"}

// harvest copies the session headers below from any response into the
// session, as icloudpd (session.py HEADER_DATA), kei (session.rs) and rclone
// (extractHeaders) do after every call.
func (c *Client) harvest(h http.Header) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sess
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"X-Apple-ID-Account-Country", &s.AccountCountry},
		{"X-Apple-ID-Session-Id", &s.SessionID},
		{"X-Apple-Session-Token", &s.SessionToken},
		{"X-Apple-TwoSV-Trust-Token", &s.TrustToken},
		{"X-Apple-TwoSV-Trust-Eligible", &s.TrustEligible},
		{"X-Apple-Auth-Attributes", &s.AuthAttributes},
		{"scnt", &s.SCNT},
	} {
		if v := strings.TrimSpace(h.Get(f.name)); v != "" {
			*f.dst = v
		}
	}
}
