package icloudapi

import (
	"context"
	"testing"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// TestAcceptedSignInsHaveTheirOwnBudget: sign-ins that Apple accepts do not
// use up the budget of failed attempts (those are what lock an Apple ID),
// so a lost session does not pause checking after three sign-ins; they
// have a larger cap of their own.
func TestAcceptedSignInsHaveTheirOwnBudget(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{})
	ctx := context.Background()
	var blob []byte
	for i := range successBudget {
		c := e.client(blob) // a fresh process whose web session was lost
		c.forgetWebSession()
		if err := c.Authenticate(ctx, testPassword); err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
		blob = sessionBlob(t, c)
	}
	c := e.client(blob)
	if got := c.SignIns(); got != successBudget {
		t.Errorf("SignIns() = %d, want %d", got, successBudget)
	}
	c.forgetWebSession()
	ae := wantAPIError(t, c.Authenticate(ctx, testPassword), ErrSignInBudget)
	if ae.Remediation == "" || srpAttempts(e.srv) != successBudget {
		t.Errorf("%d SRP attempts, remediation %q", srpAttempts(e.srv), ae.Remediation)
	}
	// Failures still pause after three, accepted sign-ins notwithstanding.
	e2 := newAuthEnv(t, fakeicloud.Scenario{})
	c2 := e2.client(nil)
	for range signInBudget {
		wantKind(t, c2.Authenticate(ctx, "wrong-"+string(rune('a'+srpAttempts(e2.srv)))), ErrPasswordRejected)
	}
	wantKind(t, c2.Authenticate(ctx, "yet another"), ErrSignInBudget)
}
