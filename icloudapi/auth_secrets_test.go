package icloudapi

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// TestSecretsNeverInLogsOrErrors runs every sign-in branch with a debug
// logger and checks that no password, code, token or cookie value leaks
// into the log or into any error string.
func TestSecretsNeverInLogsOrErrors(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{Require2FA: true, HasTrustedDevices: true,
		Phones: []fakeicloud.Phone{{ID: 2, Number: "+1 (•••) •••-••99"}}})
	var logs bytes.Buffer
	e.opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	c := e.client(nil)
	var errs []error
	record := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	const wrongPassword = "Tr0ub4dor&3-wrong"
	record(c.Authenticate(ctx, wrongPassword))
	record(c.Authenticate(ctx, wrongPassword))
	record(c.SignIn(ctx, testPassword))
	record(c.RequestPhoneCode(ctx, 2, "sms"))
	code := e.srv.LastCode()
	record(c.SubmitCode(ctx, "999999"))
	record(c.SubmitCode(ctx, code))
	e.srv.ExpireSessionTokens()
	record(c.validate(ctx))
	record(c.accountLogin(ctx))
	if len(errs) < 5 {
		t.Fatalf("only %d errors collected; the scenario did not run", len(errs))
	}
	secrets := []string{testPassword, wrongPassword, code, c.sess.SessionToken, c.sess.TrustToken, c.sess.SCNT, c.sess.SessionID}
	for _, ck := range c.jar.snapshot() {
		if len(ck.Value) >= 8 {
			secrets = append(secrets, ck.Value)
		}
	}
	if logs.Len() == 0 {
		t.Fatal("debug logger received nothing")
	}
	for _, s := range secrets {
		if s == "" {
			t.Fatal("a secret under test is empty")
		}
		if strings.Contains(logs.String(), s) {
			t.Errorf("log contains a secret (%d chars)", len(s))
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q contains a secret", err)
			}
		}
	}
}
