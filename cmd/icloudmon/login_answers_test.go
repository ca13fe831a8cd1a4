package main

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// homeOrigin points the account's home endpoint at Apple's real origin, so
// that the fake's Origin check (Scenario.HomeOrigin) can tell it from the
// idmsa origin (the fake's own).
func (e *loginEnv) homeOrigin(t *testing.T, origin string) {
	t.Helper()
	b, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	old := "home: \"" + e.fake.HomeURL() + "\""
	if !strings.Contains(string(b), old) {
		t.Fatalf("config has no %s", old)
	}
	writeLoginFile(t, e.config, strings.Replace(string(b), old, "home: \""+origin+"\"", 1))
}

// Apple's 2026 answers to a right code, the Origin check and a refused
// push: `login` signs in each time and the session works without a code.
func TestLoginAcceptsEveryAnswerToARightCode(t *testing.T) {
	const home = "https://www.icloud.com"
	for _, tc := range []struct {
		name  string
		knobs func(*fakeicloud.Scenario)
		args  []string
		note  string // expected on stderr
	}{
		{"409 valid without token (rclone#9730)", func(s *fakeicloud.Scenario) { s.ConflictOnValid, s.NoTokenOnValid = true, true }, nil, "trusted Apple devices"},
		{"409 valid without token by SMS", func(s *fakeicloud.Scenario) { s.ConflictOnValid, s.NoTokenOnValid = true, true }, []string{"--sms"}, "by SMS"},
		{"412 valid (icloudpd#1026)", func(s *fakeicloud.Scenario) { s.PreconditionOnValid = true }, nil, "trusted Apple devices"},
		{"Origin checked (icloud-photos-sync#1104)", func(s *fakeicloud.Scenario) { s.HomeOrigin = home }, nil, "trusted Apple devices"},
		{"push answered 405", func(s *fakeicloud.Scenario) { s.PushFailStatus = http.StatusMethodNotAllowed }, nil, "did not confirm"},
		{"push answered 412", func(s *fakeicloud.Scenario) { s.PushFailStatus = http.StatusPreconditionFailed }, nil, "did not confirm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := twoFA
			tc.knobs(&sc)
			e := newLoginEnv(t, sc, fakePassword)
			if sc.HomeOrigin != "" {
				e.homeOrigin(t, sc.HomeOrigin)
			}
			code, out, errOut := e.run(t, stdinLines(e.fake.LastCode), append([]string{"login"}, tc.args...)...)
			if code != exitOK || !strings.Contains(out, "Signed in") {
				t.Fatalf("login exited %d; stdout %q; stderr:\n%s", code, out, errOut)
			}
			if !strings.Contains(errOut, tc.note) {
				t.Errorf("stderr lacks %q:\n%s", tc.note, errOut)
			}
			for _, r := range e.fake.Requests() {
				if r.Status == http.StatusForbidden {
					t.Errorf("%s %s was refused (Origin)", r.Method, r.Path)
				}
			}
			// The trust token was saved: the next login needs no code.
			e.fake.ExpireSessionTokens()
			codes := e.fake.Count("/appleauth/auth/verify/trusteddevice/securitycode") + e.fake.Count("/appleauth/auth/verify/phone/securitycode")
			if code, _, errOut := e.run(t, strings.NewReader(""), "login"); code != exitOK {
				t.Fatalf("second login exited %d:\n%s", code, errOut)
			}
			if n := e.fake.Count("/appleauth/auth/verify/trusteddevice/securitycode") + e.fake.Count("/appleauth/auth/verify/phone/securitycode"); n != codes {
				t.Errorf("the second login asked for a code")
			}
		})
	}
}

// The salt is fixed per account: a leading zero in it costs no extra
// signin/init.
func TestLoginLeadingZeroSaltOneInit(t *testing.T) {
	e := newLoginEnv(t, fakeicloud.Scenario{LeadingZeroSalt: true}, fakePassword)
	for i := 1; i <= 2; i++ {
		e.fake.ExpireSessionTokens()
		if code, _, errOut := e.run(t, strings.NewReader(""), "login"); code != exitOK {
			t.Fatalf("login %d exited %d:\n%s", i, code, errOut)
		}
		if got := n(e, "/signin/init"); got != i {
			t.Fatalf("after %d logins: %d signin/init, want %d", i, got, i)
		}
	}
}
