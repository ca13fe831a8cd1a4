package agent

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
	"github.com/icloudmon/icloudmon/internal/syncbuf"
)

const (
	reauthAppleID  = "alice@example.com"
	reauthPassword = "correct horse battery staple"
)

// The flow itself, as `icloudmon login` uses it (no daemon): a leading
// zero in the salt costs no extra signin/init, and the session is saved
// after every step.
func TestSignInFlowLeadingZeroSaltAndSaves(t *testing.T) {
	fake := fakeicloud.New(fakeicloud.Options{Scenario: fakeicloud.Scenario{AppleID: reauthAppleID, Password: reauthPassword,
		Require2FA: true, HasTrustedDevices: true, LeadingZeroSalt: true}})
	t.Cleanup(fake.Close)
	sessions := &rigSessions{}
	// A leading zero in B or S (not the salt) restarts at signin/init, about
	// 2 draws in 256; the client logs each restart and the counts allow them.
	var logs syncbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	restarts := func() int { return strings.Count(logs.String(), "restarting at signin/init") }
	flow := &SignInFlow{Account: "alice", Sessions: sessions, NewClient: func() (*icloudapi.Client, error) {
		return icloudapi.New(icloudapi.Options{AppleID: reauthAppleID, AuthURL: fake.AuthURL(),
			SetupURL: fake.SetupURL(), HomeURL: fake.HomeURL(), RootCAs: fake.CertPool(), Retries: 1, Logger: logger})
	}}
	ctx := context.Background()
	tf, err := flow.Start(ctx, reauthPassword)
	if err != nil || tf == nil {
		t.Fatalf("start: challenge %v, err %v; want a challenge", tf, err)
	}
	if n := fake.Count("/appleauth/auth/signin/init"); n != 1+restarts() {
		t.Errorf("signin/init: %d, want 1 (the salt starts with a zero byte) plus %d logged B/S restarts", n, restarts())
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
	if n := fake.Count("/appleauth/auth/signin/init"); n != 2+restarts() {
		t.Errorf("signin/init after two sign-ins: %d, want 2 plus %d logged B/S restarts", n, restarts())
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
