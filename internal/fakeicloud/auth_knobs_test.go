package fakeicloud

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"testing"
)

// conv is one idmsa conversation with the fake over HTTP, written without
// the icloudapi client: it echoes scnt and the session id like a browser.
type conv struct {
	t          *testing.T
	s          *Server
	hc         *http.Client
	origin     string // Origin of the next requests
	sid, scnt  string
	attributes bool // send X-Apple-Auth-Attributes
}

func newConv(t *testing.T, sc Scenario) *conv {
	t.Helper()
	sc.AppleID, sc.Password = "k@example.com", "pw-knobs"
	s := New(Options{Scenario: sc})
	t.Cleanup(s.Close)
	return &conv{t: t, s: s, hc: s.Client(), origin: s.URL()}
}

// answer is a response read to the end.
type answer struct {
	StatusCode int
	Header     http.Header
}

func (c *conv) do(method, path string, body any) (answer, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.s.AuthURL()+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("X-Apple-Widget-Key", widgetKey)
	req.Header.Set("X-Apple-OAuth-State", "auth-test")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", c.origin)
	for name, v := range map[string]string{"scnt": c.scnt, "X-Apple-ID-Session-Id": c.sid} {
		if v != "" {
			req.Header.Set(name, v)
		}
	}
	if c.attributes {
		req.Header.Set("X-Apple-Auth-Attributes", "attrs")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v := resp.Header.Get("scnt"); v != "" {
		c.scnt = v
	}
	if v := resp.Header.Get("X-Apple-ID-Session-Id"); v != "" {
		c.sid = v
	}
	return answer{StatusCode: resp.StatusCode, Header: resp.Header}, b
}

// signIn runs init and complete with proofs computed in this test
// (clientProofs) and returns the status of complete and the init answer's
// salt.
func (c *conv) signIn(password string) (status int, salt []byte) {
	c.t.Helper()
	a, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 256))
	pubA := new(big.Int).Exp(srpG, a, srpN)
	resp, body := c.do(http.MethodPost, "/signin/init", map[string]any{"a": base64.StdEncoding.EncodeToString(pubA.Bytes()),
		"accountName": "k@example.com", "protocols": []string{"s2k", "s2k_fo"}})
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	var init struct {
		Salt, B, C string
	}
	if err := json.Unmarshal(body, &init); err != nil {
		c.t.Fatal(err)
	}
	salt, _ = base64.StdEncoding.DecodeString(init.Salt)
	c.s.mu.Lock()
	sess := c.s.state.srp[init.C]
	c.s.mu.Unlock()
	m1, m2 := clientProofs(c.t, sess, a, password, "s2k", 1000)
	resp, _ = c.do(http.MethodPost, "/signin/complete", map[string]any{"accountName": "k@example.com", "c": init.C,
		"m1": base64.StdEncoding.EncodeToString(m1), "m2": base64.StdEncoding.EncodeToString(m2), "rememberMe": true, "trustTokens": []string{}})
	return resp.StatusCode, salt
}

var twoFAKnobs = Scenario{Require2FA: true, HasTrustedDevices: true, Phones: []Phone{{ID: 3, Number: "••33"}}}

func TestFakeRightCodeAnswers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		knobs      func(*Scenario)
		sms        bool
		wantStatus int
		wantToken  bool
	}{
		{"default device 204", func(*Scenario) {}, false, http.StatusNoContent, true},
		{"default sms 200", func(*Scenario) {}, true, http.StatusOK, true},
		{"409 valid with token", func(s *Scenario) { s.ConflictOnValid = true }, false, http.StatusConflict, true},
		{"409 valid without token, device", func(s *Scenario) { s.ConflictOnValid, s.NoTokenOnValid = true, true }, false, http.StatusConflict, false},
		{"409 valid without token, sms", func(s *Scenario) { s.ConflictOnValid, s.NoTokenOnValid = true, true }, true, http.StatusConflict, false},
		{"412 valid", func(s *Scenario) { s.PreconditionOnValid = true }, false, http.StatusPreconditionFailed, true},
		{"412 valid without token", func(s *Scenario) { s.PreconditionOnValid, s.NoTokenOnValid = true, true }, true, http.StatusPreconditionFailed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := twoFAKnobs
			tc.knobs(&sc)
			c := newConv(t, sc)
			if st, _ := c.signIn("pw-knobs"); st != http.StatusConflict {
				t.Fatalf("complete: %d, want 409 (2FA)", st)
			}
			path, body := "/verify/trusteddevice/securitycode", map[string]any{}
			if tc.sms {
				c.do(http.MethodPut, "/verify/phone", map[string]any{"phoneNumber": map[string]int{"id": 3}, "mode": "sms"})
				path = "/verify/phone/securitycode"
				body = map[string]any{"phoneNumber": map[string]int{"id": 3}, "mode": "sms"}
			} else {
				c.do(http.MethodPut, "/verify/trusteddevice/securitycode", nil)
			}
			body["securityCode"] = map[string]string{"code": c.s.LastCode()}
			resp, raw := c.do(http.MethodPost, path, body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("right code: %d %s, want %d", resp.StatusCode, raw, tc.wantStatus)
			}
			if got := resp.Header.Get("X-Apple-Session-Token") != ""; got != tc.wantToken {
				t.Errorf("session token in the answer: %v, want %v", got, tc.wantToken)
			}
			if tc.wantStatus >= 400 {
				var v struct{ SecurityCode struct{ Valid bool } }
				if json.Unmarshal(raw, &v) != nil || !v.SecurityCode.Valid {
					t.Errorf("the %d answer does not say valid:true: %s", tc.wantStatus, raw)
				}
			}
			resp, _ = c.do(http.MethodGet, "/2sv/trust", nil)
			if resp.StatusCode != http.StatusNoContent || resp.Header.Get("X-Apple-TwoSV-Trust-Token") == "" || resp.Header.Get("X-Apple-Session-Token") == "" {
				t.Errorf("2sv/trust after the code: %d, trust token %q, session token set %v", resp.StatusCode,
					resp.Header.Get("X-Apple-TwoSV-Trust-Token"), resp.Header.Get("X-Apple-Session-Token") != "")
			}
		})
	}
}

func TestFakeOriginCheck(t *testing.T) {
	const home = "https://www.icloud.com"
	sc := twoFAKnobs
	sc.HomeOrigin = home
	c := newConv(t, sc)
	c.origin = home
	if st, _ := c.signIn("pw-knobs"); st != http.StatusForbidden {
		t.Fatalf("signin/init from the home origin: %d, want 403", st)
	}
	c.origin = c.s.URL()
	if st, _ := c.signIn("pw-knobs"); st != http.StatusConflict {
		t.Fatalf("sign-in from the idmsa origin: %d, want 409", st)
	}
	if resp, _ := c.do(http.MethodPut, "/verify/trusteddevice/securitycode", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("push from the idmsa origin: %d, want 403", resp.StatusCode)
	}
	c.origin, c.attributes = home, true
	if resp, _ := c.do(http.MethodPut, "/verify/trusteddevice/securitycode", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("push with X-Apple-Auth-Attributes: %d, want 403", resp.StatusCode)
	}
	c.attributes = false
	if resp, _ := c.do(http.MethodPut, "/verify/trusteddevice/securitycode", nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("push from the home origin: %d, want 202", resp.StatusCode)
	}
	if resp, _ := c.do(http.MethodPost, "/verify/trusteddevice/securitycode", map[string]any{"securityCode": map[string]string{"code": c.s.LastCode()}}); resp.StatusCode != http.StatusNoContent {
		t.Errorf("code from the home origin: %d, want 204", resp.StatusCode)
	}
	c.origin = c.s.URL()
	if resp, _ := c.do(http.MethodGet, "/2sv/trust", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("2sv/trust from the idmsa origin: %d, want 403", resp.StatusCode)
	}

	// Off by default: any origin is served.
	off := newConv(t, twoFAKnobs)
	off.origin = home
	if st, _ := off.signIn("pw-knobs"); st != http.StatusConflict {
		t.Errorf("without HomeOrigin, sign-in from another origin: %d, want 409", st)
	}
}

func TestFakePushFailure(t *testing.T) {
	for _, status := range []int{http.StatusMethodNotAllowed, http.StatusPreconditionFailed} {
		sc := twoFAKnobs
		sc.PushFailStatus = status
		c := newConv(t, sc)
		if st, _ := c.signIn("pw-knobs"); st != http.StatusConflict {
			t.Fatalf("complete: %d", st)
		}
		if resp, _ := c.do(http.MethodPut, "/verify/trusteddevice/securitycode", nil); resp.StatusCode != status {
			t.Errorf("push: %d, want %d", resp.StatusCode, status)
		}
		if c.s.LastCode() == "" {
			t.Fatal("no code reached the devices")
		}
		if resp, _ := c.do(http.MethodPost, "/verify/trusteddevice/securitycode", map[string]any{"securityCode": map[string]string{"code": c.s.LastCode()}}); resp.StatusCode != http.StatusNoContent {
			t.Errorf("code after a failed push (%d): %d, want 204", status, resp.StatusCode)
		}
	}
}

func TestFakeLeadingZeroSalt(t *testing.T) {
	for i := 0; i < 3; i++ {
		c := newConv(t, Scenario{LeadingZeroSalt: true})
		st, salt := c.signIn("pw-knobs")
		if len(salt) != 16 || salt[0] != 0 {
			t.Fatalf("salt %x: want 16 bytes starting 00", salt)
		}
		if st != http.StatusOK {
			t.Fatalf("right password with a leading-zero salt: %d, want 200", st)
		}
		if st, _ := c.signIn("wrong"); st != http.StatusUnauthorized {
			t.Fatalf("wrong password with a leading-zero salt: %d, want 401", st)
		}
	}
	c := newConv(t, Scenario{})
	if _, salt := c.signIn("pw-knobs"); len(salt) == 0 || salt[0] == 0 {
		t.Errorf("default salt %x starts with a zero byte", salt)
	}
}
