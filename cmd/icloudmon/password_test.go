package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/secret"
)

// memKeychain replaces the keychain calls of `password` for one test.
type memKeychain struct {
	entries map[string]string
	err     error // returned by every call when set
}

func useMemKeychain(e *loginEnv, err error) *memKeychain {
	kc := &memKeychain{entries: map[string]string{}, err: err}
	e.seams = append(e.seams, func(c *cli) { c.keychainSet, c.keychainDelete = kc.set, kc.delete })
	return kc
}

func (kc *memKeychain) set(_ context.Context, appleID string, pw secret.Secret) error {
	if kc.err != nil {
		return kc.err
	}
	kc.entries[appleID] = pw.Reveal()
	return nil
}

func (kc *memKeychain) delete(_ context.Context, appleID string) error {
	if kc.err != nil {
		return kc.err
	}
	if _, ok := kc.entries[appleID]; !ok {
		return credstore.ErrNotFound
	}
	delete(kc.entries, appleID)
	return nil
}

// noKeychain is what credstore returns without a usable keychain.
type noKeychain struct{}

func (noKeychain) Error() string        { return "no OS keychain available (no D-Bus session)" }
func (noKeychain) Is(target error) bool { return target == credstore.ErrKeychainUnavailable }

func TestPasswordSetAndDelete(t *testing.T) {
	e := newLoginEnv(t, twoFA, fakePassword)
	kc := useMemKeychain(e, nil)
	secret := "s3cret with spaces "
	code, out, errOut := e.run(t, strings.NewReader(secret+"\nignored\n"), "password", "set", "--account", "a")
	if code != exitOK {
		t.Fatalf("password set: exit %d, stderr %q", code, errOut)
	}
	if got := kc.entries[loginAppleID]; got != secret {
		t.Errorf("stored %q, want the first line of stdin %q", got, secret)
	}
	if strings.Contains(out+errOut, secret) {
		t.Error("password set printed the password")
	}
	if !strings.Contains(out, "password.keyring is false") {
		t.Errorf("stdout %q does not warn that the config does not read the keychain", out)
	}
	code, out, _ = e.run(t, strings.NewReader(""), "password", "delete")
	if code != exitOK || len(kc.entries) != 0 || !strings.Contains(out, "Deleted") {
		t.Errorf("password delete: exit %d, stdout %q, entries left %d", code, out, len(kc.entries))
	}
	code, out, _ = e.run(t, strings.NewReader(""), "password", "delete")
	if code != exitOK || !strings.Contains(out, "nothing to delete") {
		t.Errorf("second delete: exit %d, stdout %q", code, out)
	}
}

func TestPasswordSetEmptyStoresNothing(t *testing.T) {
	e := newLoginEnv(t, twoFA, fakePassword)
	kc := useMemKeychain(e, nil)
	code, _, errOut := e.run(t, strings.NewReader("\n"), "password", "set")
	if code != exitUnknown || len(kc.entries) != 0 || !strings.Contains(errOut, "nothing was stored") {
		t.Errorf("empty password: exit %d, stderr %q, entries %d", code, errOut, len(kc.entries))
	}
}

func TestPasswordWithoutKeychainPointsToFiles(t *testing.T) {
	e := newLoginEnv(t, twoFA, fakePassword)
	useMemKeychain(e, noKeychain{})
	if !errors.Is(noKeychain{}, credstore.ErrKeychainUnavailable) {
		t.Fatal("test error does not match ErrKeychainUnavailable")
	}
	for _, args := range [][]string{{"password", "set"}, {"password", "delete"}} {
		code, _, errOut := e.run(t, strings.NewReader("pw\n"), args...)
		if code != exitUnknown {
			t.Errorf("%v without a keychain: exit %d, want 3", args, code)
		}
		for _, want := range []string{"no OS keychain", "password.file", "/run/secrets/", "password.env"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, errOut)
			}
		}
	}
}
