package web

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/icloudmon/icloudmon/checks"
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
