package icloudapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
	"github.com/icloudmon/icloudmon/internal/syncbuf"
)

// Apple's answers to a right code, as seen in 2026 (rclone#9488 and
// #9730, icloudpd#1026).
func TestRightCodeInEveryWrapping(t *testing.T) {
	for _, tc := range []struct {
		name  string
		knobs func(*fakeicloud.Scenario)
		sms   bool
	}{
		{"409 valid without token, device (rclone#9730)", func(s *fakeicloud.Scenario) { s.ConflictOnValid, s.NoTokenOnValid = true, true }, false},
		{"409 valid without token, sms (rclone#9730)", func(s *fakeicloud.Scenario) { s.ConflictOnValid, s.NoTokenOnValid = true, true }, true},
		{"412 valid (icloudpd#1026)", func(s *fakeicloud.Scenario) { s.PreconditionOnValid = true }, false},
		{"412 valid without token, sms", func(s *fakeicloud.Scenario) { s.PreconditionOnValid, s.NoTokenOnValid = true, true }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := fakeicloud.Scenario{Require2FA: true, HasTrustedDevices: true, Phones: []fakeicloud.Phone{{ID: 2, Number: "••22"}}}
			tc.knobs(&sc)
			e := newAuthEnv(t, sc)
			ctx := context.Background()
			c := e.client(nil)
			wantKind(t, c.SignIn(ctx, testPassword), ErrReauthRequired)
			var err error
			if tc.sms {
				err = c.RequestPhoneCode(ctx, 2, "sms")
			} else {
				err = c.RequestDeviceCode(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := c.SubmitCode(ctx, e.srv.LastCode()); err != nil {
				t.Fatalf("a right code was refused: %v", err)
			}
			if n := e.srv.Count("/appleauth/auth/2sv/trust"); n != 1 {
				t.Errorf("2sv/trust calls: %d, want 1", n)
			}
			if _, err := c.webservice("ckdatabasews"); err != nil {
				t.Errorf("no web session after the code: %v", err)
			}
			// The trust token is kept: the next SRP needs no code.
			e.srv.ExpireSessionTokens()
			if err := e.client(sessionBlob(t, c)).Authenticate(ctx, testPassword); err != nil {
				t.Errorf("sign-in with the new trust token: %v", err)
			}
		})
	}
}

// When neither the code answer nor 2sv/trust brings a new session token,
// the pre-2FA token is not replayed to accountLogin.
func TestNoReplayOfThePre2FAToken(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{Require2FA: true, HasTrustedDevices: true, ConflictOnValid: true, NoTokenOnValid: true,
		Faults: map[string]fakeicloud.Fault{"/appleauth/auth/2sv/trust": {Status: http.StatusNoContent, Times: 1}}})
	ctx := context.Background()
	c := e.deviceCodeSent(t)
	logins := e.srv.Count("/setup/ws/1/accountLogin")
	wantKind(t, c.SubmitCode(ctx, e.srv.LastCode()), ErrProtocol)
	if e.srv.Count("/setup/ws/1/accountLogin") != logins {
		t.Error("the session token from before the code was sent to accountLogin")
	}
}

// With Origin checked like Apple does, every call after signin/complete
// carries the home origin and no X-Apple-Auth-Attributes.
func TestOriginAfterSignIn(t *testing.T) {
	const home = "https://www.icloud.com"
	for _, sms := range []bool{false, true} {
		e := newAuthEnv(t, fakeicloud.Scenario{Require2FA: true, HasTrustedDevices: true, HomeOrigin: home,
			Phones: []fakeicloud.Phone{{ID: 2, Number: "••22"}}})
		e.opts.HomeURL = home
		ctx := context.Background()
		c := e.client(nil)
		ae := wantAPIError(t, c.SignIn(ctx, testPassword), ErrReauthRequired)
		if ae.TwoFactor == nil || len(ae.TwoFactor.Phones) != 1 {
			t.Fatalf("GET auth under the Origin check: options %+v", ae.TwoFactor)
		}
		var err error
		if sms {
			err = c.RequestPhoneCode(ctx, 2, "sms")
		} else {
			err = c.RequestDeviceCode(ctx)
		}
		if err != nil {
			t.Fatalf("code request (sms %v): %v", sms, err)
		}
		if err := c.SubmitCode(ctx, e.srv.LastCode()); err != nil {
			t.Fatalf("code (sms %v): %v", sms, err)
		}
		for _, r := range e.srv.Requests() {
			if r.Status == http.StatusForbidden {
				t.Errorf("%s %s refused for its Origin", r.Method, r.Path)
			}
		}
	}
	e := newAuthEnv(t, fakeicloud.Scenario{Repair412: true, HomeOrigin: home})
	e.opts.HomeURL = home
	if err := e.client(nil).Authenticate(context.Background(), testPassword); err != nil {
		t.Fatalf("repair/complete under the Origin check: %v", err)
	}
}

// A failing push trigger leaves the code submission to the device
// endpoint possible.
func TestFailedPushStillTakesTheCode(t *testing.T) {
	for _, status := range []int{http.StatusMethodNotAllowed, http.StatusPreconditionFailed} {
		e := newAuthEnv(t, fakeicloud.Scenario{Require2FA: true, HasTrustedDevices: true, PushFailStatus: status})
		ctx := context.Background()
		c := e.client(nil)
		wantKind(t, c.SignIn(ctx, testPassword), ErrReauthRequired)
		if err := c.RequestDeviceCode(ctx); err == nil {
			t.Errorf("push answered %d reported as success", status)
		}
		if err := c.SubmitCode(ctx, e.srv.LastCode()); err != nil {
			t.Errorf("code after a %d push: %v", status, err)
		}
	}
}

// The salt is fixed per account: a leading zero in it never restarts SRP.
// (A leading zero in B or S does, about 2 draws in 256; those restarts are
// logged and allowed for.)
func TestLeadingZeroSaltOneInit(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{LeadingZeroSalt: true})
	var logs syncbuf.Buffer
	e.opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for i := 1; i <= 3; i++ {
		e.srv.ExpireSessionTokens()
		if err := e.client(nil).Authenticate(context.Background(), testPassword); err != nil {
			t.Fatal(err)
		}
		restarts := strings.Count(logs.String(), "restarting at signin/init")
		if n := e.srv.Count(pInit); n != i+restarts {
			t.Fatalf("after %d sign-ins and %d logged B/S restarts: %d signin/init, want %d", i, restarts, n, i+restarts)
		}
	}
}

func TestNeeds2FAReadsQualifyingDevice(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		q    *bool
		want bool
	}{{nil, true}, {&yes, true}, {&no, false}} {
		r := &accountLoginResponse{DSInfo: &dsInfo{HSAVersion: 2, HasICloudQualifyingDevice: tc.q}, HSAChallengeRequired: true}
		if got := r.needs2FA(); got != tc.want {
			t.Errorf("hasICloudQualifyingDevice %v: needs2FA %v, want %v", tc.q, got, tc.want)
		}
	}
}
