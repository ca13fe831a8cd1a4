package icloudapi

import (
	"context"
	"errors"
	"testing"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// BenchmarkSRPProofs measures the client's SRP arithmetic for one attempt
// (A, u, x, S, M1, M2), without PBKDF2.
func BenchmarkSRPProofs(b *testing.B) {
	v := loadVectors(b)[0]
	salt, pubB, p := unhex(b, v.Salt), unhex(b, v.PubB), unhex(b, v.P)
	for b.Loop() {
		c, err := newSRPClient(v.Username, randReader)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.proofs(salt, pubB, p); err != nil && !errors.Is(err, errSRPLeadingZero) {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignInAgainstFake measures a full SRP sign-in (authorize, init,
// complete, accountLogin) against the fake with Apple's 20000 rounds.
func BenchmarkSignInAgainstFake(b *testing.B) {
	srv := fakeicloud.New(fakeicloud.Options{Scenario: fakeicloud.Scenario{AppleID: "a@example.com", Password: "pw", Iterations: 20000}})
	defer srv.Close()
	opts := Options{AppleID: "a@example.com", AuthURL: srv.AuthURL(), SetupURL: srv.SetupURL(), HomeURL: srv.HomeURL(), RootCAs: srv.CertPool()}
	for b.Loop() {
		c, err := New(opts)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.SignIn(context.Background(), "pw"); err != nil {
			b.Fatal(err)
		}
	}
}
