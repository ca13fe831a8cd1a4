package agent

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// Apple's 2026 answers to a right code, the Origin check and a refused
// push: the web re-auth renews the daemon's session each time.
func TestReAuthAcceptsEveryAnswerToARightCode(t *testing.T) {
	for _, tc := range []struct {
		name  string
		knobs func(*fakeicloud.Scenario)
		via   string
		page  string // expected on the code page
	}{
		{"409 valid without token (rclone#9730)", func(s *fakeicloud.Scenario) { s.ConflictOnValid, s.NoTokenOnValid = true, true }, "device", "Apple sent a code to your trusted Apple devices"},
		{"409 valid without token by SMS", func(s *fakeicloud.Scenario) { s.ConflictOnValid, s.NoTokenOnValid = true, true }, "sms:7", "Apple sent a code to the phone number"},
		{"412 valid (icloudpd#1026)", func(s *fakeicloud.Scenario) { s.PreconditionOnValid = true }, "device", "Apple sent a code to your trusted Apple devices"},
		{"Origin checked (icloud-photos-sync#1104)", func(s *fakeicloud.Scenario) { s.HomeOrigin = "https://www.icloud.com" }, "device", "Apple sent a code"},
		{"push answered 405", func(s *fakeicloud.Scenario) { s.PushFailStatus = http.StatusMethodNotAllowed }, "device", `id="code-note"`},
		{"push answered 412", func(s *fakeicloud.Scenario) { s.PushFailStatus = http.StatusPreconditionFailed }, "device", "did not confirm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newReauthEnvWith(t, true, tc.knobs)
			e.step(t, "start", url.Values{})
			page := e.step(t, "send", url.Values{"via": {tc.via}})
			mustContain(t, "code page", page, tc.page, `name="code"`)
			done := e.step(t, "verify", url.Values{"code": {e.fake.LastCode()}})
			mustContain(t, "result page", done, `id="success"`)
			for _, r := range e.fake.Requests() {
				if r.Status == http.StatusForbidden {
					t.Errorf("%s %s was refused (Origin)", r.Method, r.Path)
				}
			}
			srp := e.srp()
			if got := e.cycleAuth(t); got.Status != checks.StatusOK {
				t.Errorf("auth after the web sign-in: %s %q, want ok", got.Status, got.Summary)
			}
			if e.srp() != srp {
				t.Error("the next cycle signed in with SRP again instead of using the new session")
			}
		})
	}
}

// The flow itself, as `icloudmon login` uses it (no daemon): a leading
// zero in the salt costs no extra signin/init, and the session is saved
// after every step.
func TestSignInFlowLeadingZeroSaltAndSaves(t *testing.T) {
	fake := fakeicloud.New(fakeicloud.Options{Scenario: fakeicloud.Scenario{AppleID: reauthAppleID, Password: reauthPassword,
		Require2FA: true, HasTrustedDevices: true, LeadingZeroSalt: true}})
	t.Cleanup(fake.Close)
	sessions := &memSessions{}
	flow := &SignInFlow{Account: "alice", Sessions: sessions, NewClient: func() (*icloudapi.Client, error) {
		return icloudapi.New(icloudapi.Options{AppleID: reauthAppleID, AuthURL: fake.AuthURL(),
			SetupURL: fake.SetupURL(), HomeURL: fake.HomeURL(), RootCAs: fake.CertPool(), Retries: 1})
	}}
	ctx := context.Background()
	tf, err := flow.Start(ctx, reauthPassword)
	if err != nil || tf == nil {
		t.Fatalf("start: challenge %v, err %v; want a challenge", tf, err)
	}
	if n := fake.Count("/appleauth/auth/signin/init"); n != 1 {
		t.Errorf("signin/init: %d, want 1 (the salt starts with a zero byte)", n)
	}
	if sessions.saves != 1 {
		t.Errorf("saves after Start: %d, want 1 (the attempt is part of the budget)", sessions.saves)
	}
	if _, err := flow.RequestCode(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if err := flow.Submit(ctx, "12a456"); !errors.Is(err, ErrCodeFormat) {
		t.Errorf("a code with a letter: %v, want ErrCodeFormat", err)
	}
	if n := fake.Count("/appleauth/auth/verify/trusteddevice/securitycode"); n != 1 {
		t.Errorf("a malformed code reached Apple (%d requests to the code endpoint)", n)
	}
	code := fake.LastCode()
	if err := flow.Submit(ctx, code[:3]+"-"+code[3:]); err != nil {
		t.Fatalf("right code: %v", err)
	}
	// A second sign-in with the saved trust token: again one init.
	fake.ExpireSessionTokens()
	if tf, err := flow.Start(ctx, reauthPassword); err != nil || tf != nil {
		t.Fatalf("second start: challenge %v, err %v; want signed in", tf, err)
	}
	if n := fake.Count("/appleauth/auth/signin/init"); n != 2 {
		t.Errorf("signin/init after two sign-ins: %d, want 2", n)
	}
}

func TestReadCode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"123456", 6, "123456"}, {" 123 456\r", 6, "123456"}, {"123-456", 6, "123456"}, {"123456", 0, "123456"},
		{"12a456", 6, ""}, {"", 6, ""}, {"12345", 6, ""}, {"1234567", 6, ""}, {"１２３４５６", 6, ""},
	} {
		got, err := ReadCode(tc.in, tc.n)
		if got != tc.want || (tc.want == "") != errors.Is(err, ErrCodeFormat) {
			t.Errorf("ReadCode(%q, %d) = %q, %v; want %q", tc.in, tc.n, got, err, tc.want)
		}
	}
}
