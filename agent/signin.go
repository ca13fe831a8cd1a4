package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/icloudapi"
)

// SignInFlow is icloudmon's one interactive sign-in: Start (SRP) → a code
// is needed → RequestCode → Submit → a trusted session, saved. `icloudmon
// login` and the web re-auth pages both drive it, and it loads and saves
// sessions with the same helpers as the daemon (loadSession, storeSession),
// so a change to how Apple's answers are read is made once, in icloudapi,
// and a change to how sessions are kept is made once, here.
//
// Each Start uses a new client seeded with the saved session (trust token,
// sign-in budget), so a daemon cycle running meanwhile cannot disturb the
// 2FA conversation. The session is saved, and handed to Live (the daemon's
// client), once Apple accepted the sign-in or refused the password.
// Without a Live client (`icloudmon login`) the flow is the only writer of
// the stored session and also saves it after every other step that talked
// to Apple, since the sign-in budget is part of it; with one, the daemon
// owns the stored session until the sign-in ends. A SignInFlow is not safe
// for concurrent use.
type SignInFlow struct {
	Account string
	// NewClient returns a new client for the account's Apple ID and
	// endpoints.
	NewClient func() (*icloudapi.Client, error)
	// Sessions keeps the session between runs.
	Sessions SessionStore
	// Live is the daemon's client of the account (nil outside the daemon).
	Live   *icloudapi.Client
	Logger *slog.Logger

	client *icloudapi.Client             // the client of the last Start
	tf     *icloudapi.TwoFactorChallenge // non-nil while a code is awaited
}

// ErrCodeFormat means the text given as a code is not a code; nothing was
// sent to Apple.
var ErrCodeFormat = errors.New("the verification code must be digits only")

// errNoFlow means RequestCode or Submit came without a Start that asked
// for a code.
var errNoFlow = errors.New("no sign-in is in progress; start again")

// Start signs in with password. A nil challenge with a nil error means no
// code was needed: the session is saved and renewed. A challenge says how
// a code can be delivered; call RequestCode (or not, when the person
// already has a code) and Submit.
func (f *SignInFlow) Start(ctx context.Context, password string) (*icloudapi.TwoFactorChallenge, error) {
	f.client, f.tf = nil, nil
	client, err := f.NewClient()
	if err != nil {
		return nil, err
	}
	f.client = client
	f.seed(ctx)
	err = client.SignIn(ctx, password)
	var apiErr *icloudapi.Error
	switch {
	case err == nil:
		return nil, f.commit(ctx)
	case errors.Is(err, icloudapi.ErrReauthRequired) && errors.As(err, &apiErr) && apiErr.Endpoint == "signin_complete":
		f.tf = apiErr.TwoFactor
		if f.tf == nil {
			f.tf = &icloudapi.TwoFactorChallenge{HasTrustedDevices: true, CodeLength: 6}
		}
		if f.tf.Locked {
			f.save(ctx)
			f.tf = nil
			return nil, fmt.Errorf("%w: Apple reports that too many codes were sent or tried; wait a few hours and sign in again", err)
		}
		f.save(ctx)
		return f.tf, nil
	case errors.Is(err, icloudapi.ErrPasswordRejected), errors.Is(err, icloudapi.ErrAccountLocked):
		// The daemon takes the rejection mark over and stops trying.
		if cerr := f.commit(ctx); cerr != nil {
			f.logger().Warn("could not save the session after a refused sign-in", "err", cerr)
		}
		return nil, err
	}
	f.save(ctx)
	return nil, err
}

// Client is the client of the last Start (nil before): its session is the
// one saved.
func (f *SignInFlow) Client() *icloudapi.Client { return f.client }

// CodeRequest says how a request for a code went.
type CodeRequest struct {
	// Unconfirmed is Apple's refusal of the trusted-device push (405 and
	// 412 are seen in 2026). The code may still reach the devices (older
	// devices get Apple's automatic push) or the person may choose SMS, so
	// it is a warning: the caller still asks for the code.
	Unconfirmed error
}

// RequestCode asks Apple to deliver a code: phone 0 to the trusted
// devices, otherwise by SMS to that trusted phone id. A failed device push
// is logged and reported in CodeRequest.Unconfirmed, not as an error.
func (f *SignInFlow) RequestCode(ctx context.Context, phone int) (CodeRequest, error) {
	if f.tf == nil || f.client == nil {
		return CodeRequest{}, errNoFlow
	}
	defer f.save(ctx)
	if phone != 0 {
		return CodeRequest{}, f.client.RequestPhoneCode(ctx, phone, "sms")
	}
	err := f.client.RequestDeviceCode(ctx)
	if err == nil {
		return CodeRequest{}, nil
	}
	if ctx.Err() != nil {
		return CodeRequest{}, err
	}
	f.logger().Warn("Apple did not confirm the code request for the trusted devices; asking for the code anyway", "err", err)
	return CodeRequest{Unconfirmed: err}, nil
}

// Submit reads the code (ReadCode) and sends it. On success the session is
// saved and handed to Live. icloudapi.ErrWrongCode means try again;
// ErrCodeFormat means the text was not a code (nothing was sent).
func (f *SignInFlow) Submit(ctx context.Context, text string) error {
	if f.tf == nil || f.client == nil {
		return errNoFlow
	}
	code, err := ReadCode(text, f.tf.CodeLength)
	if err != nil {
		return err
	}
	if err := f.client.SubmitCode(ctx, code); err != nil {
		f.save(ctx)
		return err
	}
	f.tf = nil
	return f.commit(ctx)
}

// ReadCode is the one rule for reading a verification code typed by a
// person: digits, with spaces or dashes between groups allowed ("123 456",
// "123-456"); anything else, or another number of digits than length (when
// length > 0), is ErrCodeFormat.
func ReadCode(text string, length int) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(text) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '\t':
		default:
			return "", ErrCodeFormat
		}
	}
	code := b.String()
	switch {
	case code == "":
		return "", fmt.Errorf("%w: the code is empty", ErrCodeFormat)
	case length > 0 && len(code) != length:
		return "", fmt.Errorf("%w: Apple's code has %d digits, %d were given", ErrCodeFormat, length, len(code))
	}
	return code, nil
}

// seed gives the new client the saved session (or the live one).
func (f *SignInFlow) seed(ctx context.Context) {
	err := loadSession(ctx, f.Sessions, f.Account, f.client)
	if err != nil && f.Live != nil {
		var blob []byte
		if blob, err = f.Live.MarshalSession(); err == nil {
			err = f.client.RestoreSession(blob)
		}
	}
	if err != nil && !errors.Is(err, credstore.ErrNotFound) {
		f.logger().Info("signing in without the saved session", "err", err)
	}
}

// save stores the session after a step that did not end the sign-in,
// unless a daemon owns the stored session (Live set).
func (f *SignInFlow) save(ctx context.Context) {
	if f.Live != nil {
		return
	}
	if err := storeSession(ctx, f.Sessions, f.Account, f.client); err != nil {
		f.logger().Warn("could not save the session", "err", err)
	}
}

// commit saves the session and hands it to the daemon's client.
func (f *SignInFlow) commit(ctx context.Context) error {
	if err := storeSession(ctx, f.Sessions, f.Account, f.client); err != nil {
		return fmt.Errorf("signed in, but the session of account %s could not be saved (is data_dir writable?): %w", f.Account, err)
	}
	if f.Live != nil {
		blob, err := f.client.MarshalSession()
		if err == nil {
			err = f.Live.RestoreSession(blob)
		}
		if err != nil {
			return fmt.Errorf("signed in, but the running agent could not take the session over (restart it): %w", err)
		}
	}
	return nil
}

func (f *SignInFlow) logger() *slog.Logger {
	if f.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return f.Logger.With("account", f.Account)
}

// loadSession gives client the account's saved session. It returns
// credstore.ErrNotFound when none is saved.
func loadSession(ctx context.Context, sessions SessionStore, account string, client *icloudapi.Client) error {
	blob, err := sessions.Load(ctx, account)
	if err != nil {
		return err
	}
	if err := client.RestoreSession(blob); err != nil {
		return fmt.Errorf("%w: %w", errSessionUnusable, err)
	}
	return nil
}

// errSessionUnusable marks a saved session that was read but could not be
// restored (another Apple ID, an old format, corruption).
var errSessionUnusable = errors.New("the saved session is not usable")

// storeSession saves client's session for the account.
func storeSession(ctx context.Context, sessions SessionStore, account string, client *icloudapi.Client) error {
	blob, err := client.MarshalSession()
	if err == nil {
		err = sessions.Save(ctx, account, blob)
	}
	return err
}
