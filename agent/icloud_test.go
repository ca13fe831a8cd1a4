package agent

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/icloudapi"
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
		got := authObservation(c.err)
		if got.Kind != c.want {
			t.Errorf("authObservation(%v).Kind = %s, want %s", c.err, got.Kind, c.want)
		}
	}
	re := authObservation(&icloudapi.Error{Kind: icloudapi.ErrReauthRequired, Endpoint: "signin_complete",
		Message: "Apple asks for a two-factor code", Remediation: "run `icloudmon login`"})
	if re.Message != "Apple asks for a two-factor code" || strings.Contains(re.Message, "signin_complete") {
		t.Errorf("message %q: want Apple's words without endpoint or remediation", re.Message)
	}
	th := authObservation(&icloudapi.Error{Kind: icloudapi.ErrThrottled, RetryAfter: time.Hour})
	if until := time.Until(th.RetryAfter); until < 59*time.Minute || until > time.Hour {
		t.Errorf("throttled RetryAfter in %v, want about an hour", until)
	}
}
