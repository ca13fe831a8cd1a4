package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/icloudapi"
)

// ClientReAuth is the sign-in behind the web re-auth pages of one account:
// a SignInFlow (the same sign-in as `icloudmon login`) and the account's
// stored password. It implements web.ReAuthenticator. It is not safe for
// concurrent use: the web handler serialises the calls of one account.
type ClientReAuth struct {
	Flow     *SignInFlow
	Password PasswordFunc
}

// ReAuthFlows returns a ClientReAuth for every account of a whose cloud
// source is an *ICloud. newClient builds a fresh client for the named
// account (same Apple ID, endpoints and CA as the daemon's).
func (a *Agent) ReAuthFlows(newClient func(account string) (*icloudapi.Client, error)) map[string]*ClientReAuth {
	out := map[string]*ClientReAuth{}
	for _, acct := range a.accounts {
		ic, ok := acct.Cloud.(*ICloud)
		if !ok {
			continue
		}
		name := acct.Name
		flow := &SignInFlow{Account: name, Live: ic.Client, Sessions: ic.Sessions, Logger: a.log,
			NewClient: func() (*icloudapi.Client, error) { return newClient(name) }}
		out[name] = &ClientReAuth{Flow: flow, Password: ic.Password}
	}
	return out
}

// PasswordStored reports whether a password is available without asking.
func (r *ClientReAuth) PasswordStored(ctx context.Context) bool {
	if r.Password == nil {
		return false
	}
	pw, err := r.Password(ctx)
	return err == nil && pw != ""
}

// Start signs in with password, or with the stored one when password is "".
func (r *ClientReAuth) Start(ctx context.Context, password string) (*icloudapi.TwoFactorChallenge, error) {
	if password == "" && r.Password != nil {
		pw, err := r.Password(ctx)
		if err != nil && !errors.Is(err, credstore.ErrNotFound) {
			return nil, fmt.Errorf("the stored password cannot be read: %w", err)
		}
		password = pw
	}
	return r.Flow.Start(ctx, password)
}

// RequestCode asks Apple to deliver a code (see SignInFlow.RequestCode).
func (r *ClientReAuth) RequestCode(ctx context.Context, phone int) (CodeRequest, error) {
	return r.Flow.RequestCode(ctx, phone)
}

// Submit sends the code (see SignInFlow.Submit).
func (r *ClientReAuth) Submit(ctx context.Context, code string) error {
	return r.Flow.Submit(ctx, code)
}
