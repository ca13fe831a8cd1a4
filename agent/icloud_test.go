package agent

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

func TestAuthObservationKinds(t *testing.T) {
	for _, c := range []struct {
		err  error
		want checks.AuthKind
	}{
		{nil, checks.AuthOK},
		{&icloudapi.Error{Kind: icloudapi.ErrReauthRequired, Endpoint: "signin_complete", Message: "Apple asks for a two-factor code", Remediation: "run login"}, checks.AuthReauthRequired},
		{fmt.Errorf("wrapped: %w", &icloudapi.Error{Kind: icloudapi.ErrPasswordRejected}), checks.AuthPasswordRejected},
		{&icloudapi.Error{Kind: icloudapi.ErrNotActivated}, checks.AuthSetupIncomplete},
		{&icloudapi.Error{Kind: icloudapi.ErrThrottled, RetryAfter: time.Hour}, checks.AuthThrottled},
		{&icloudapi.HTTPError{Endpoint: "validate", Status: 500}, checks.AuthServiceError},
		{errors.New("dial tcp: connection refused"), checks.AuthNetworkError},
	} {
		got := authObservation(c.err, time.Now())
		if got.Kind != c.want {
			t.Errorf("authObservation(%v).Kind = %s, want %s", c.err, got.Kind, c.want)
		}
	}
	re := authObservation(&icloudapi.Error{Kind: icloudapi.ErrReauthRequired, Endpoint: "signin_complete",
		Message: "Apple asks for a two-factor code", Remediation: "run `icloudmon login`"}, time.Now())
	if re.Message != "Apple asks for a two-factor code" || strings.Contains(re.Message, "signin_complete") {
		t.Errorf("message %q: want Apple's words without endpoint or remediation", re.Message)
	}
	// The wait counts from the agent's clock (a NAS clock corrected to
	// Apple's, or a test's), not from time.Now.
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	th := authObservation(&icloudapi.Error{Kind: icloudapi.ErrThrottled, RetryAfter: time.Hour}, at)
	if want := at.Add(time.Hour); !th.RetryAfter.Equal(want) {
		t.Errorf("throttled RetryAfter %v, want %v", th.RetryAfter, want)
	}
}

// TestUndatedSessionCookiesDoNotLeaveAHealthyAccountUnknown: a server whose
// session cookies carry no expiry must not make a healthy account unknown
// (verify exit 3) forever; session_expiry is ok and says why there is no
// date, and an expiring dated session still warns.
func TestUndatedSessionCookiesDoNotLeaveAHealthyAccountUnknown(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.server.Update(func(sc *fakeicloud.Scenario) { sc.UndatedCookies = true })
	rep := r.cycle()
	c, _ := rep.Check(checks.CheckSessionExpiry)
	if c.Status != checks.StatusOK || !strings.Contains(c.Summary, "no expiry date") {
		t.Errorf("session_expiry = %s %q, want ok without a date", c.Status, c.Summary)
	}
	if rep.Status != checks.StatusOK {
		t.Errorf("healthy account with undated cookies is %s, want ok", rep.Status)
	}

	dated := newRig(t, rigOptions{})
	dated.server.Update(func(sc *fakeicloud.Scenario) { sc.SessionLifetime = 3 * 24 * time.Hour })
	if got := status(dated.cycle(), checks.CheckSessionExpiry); got != "warning" {
		t.Errorf("a dated session 3 days from expiry: session_expiry %s, want warning", got)
	}
}
