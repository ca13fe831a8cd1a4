package credstore

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/icloudmon/icloudmon/secret"
)

// Service is the keychain service name of Apple ID passwords; the keychain
// user is the Apple ID.
const Service = "icloudmon"

// sessionService is the keychain service name of session blobs; the
// keychain user is the account name.
const sessionService = "icloudmon-session"

// KeychainTimeout bounds every keychain call: go-keyring can block forever
// (for example on a Secret Service waiting for an unlock prompt).
const KeychainTimeout = 5 * time.Second

var (
	// ErrNotFound means that no source holds the secret.
	ErrNotFound = errors.New("not found")
	// ErrKeychainUnavailable means that the OS keychain cannot be used at
	// all (no D-Bus session, no Secret Service, locked, not answering).
	// Lookups then go on with the next source.
	ErrKeychainUnavailable = errors.New("OS keychain unavailable")
)

// keychainError is an unusable-keychain error in plain words. It keeps only
// a sanitised description of the cause (never the underlying error value,
// whose text could in theory echo what was being stored).
type keychainError struct {
	msg string
}

func (e *keychainError) Error() string { return e.msg }

func (e *keychainError) Is(target error) bool { return target == ErrKeychainUnavailable }

func unavailable(msg string) error { return &keychainError{msg: msg} }

var (
	errNoBus = unavailable("no OS keychain available (no D-Bus session); " +
		"use a secret file or env instead")
	errNoSecretService = unavailable("no OS keychain available (no Secret Service such as " +
		"gnome-keyring or KeePassXC answers on the D-Bus session); use a secret file or env instead")
	errLocked = unavailable("the OS keychain is locked; unlock your login keyring, " +
		"or use a secret file or env instead")
	errStillHung = unavailable("the OS keychain has not answered an earlier request yet; " +
		"use a secret file or env instead")
)

// backend is the part of go-keyring that credstore uses; tests replace it
// to simulate a keychain that hangs.
type backend interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

type goKeyring struct{}

func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Set(service, user, secret string) error   { return keyring.Set(service, user, secret) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// keychain runs backend calls with a deadline. After a call times out, its
// goroutine is left to finish on its own; until it does, further calls fail
// at once instead of piling up more stuck goroutines.
type keychain struct {
	backend  backend
	timeout  time.Duration
	precheck func() error // runs before every call; non-nil error = unavailable

	mu   sync.Mutex
	hung bool
}

var defaultKeychain = &keychain{backend: goKeyring{}, timeout: KeychainTimeout, precheck: sessionBusCheck}

type result struct {
	val string
	err error
}

// call runs f with the deadline and returns its result with the error
// classified: nil, ErrNotFound, or an ErrKeychainUnavailable in plain words.
func (k *keychain) call(ctx context.Context, secret string, f func() (string, error)) (string, error) {
	if err := k.begin(); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.val, classify(r.err, secret)
	case <-ctx.Done():
		k.markHung(done)
		if errors.Is(ctx.Err(), context.Canceled) {
			return "", ctx.Err()
		}
		return "", unavailable("the OS keychain did not answer within " + k.timeout.String() +
			"; use a secret file or env instead")
	}
}

func (k *keychain) begin() error {
	if k.precheck != nil {
		if err := k.precheck(); err != nil {
			return err
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.hung {
		return errStillHung
	}
	return nil
}

func (k *keychain) markHung(done <-chan result) {
	k.mu.Lock()
	k.hung = true
	k.mu.Unlock()
	go func() {
		<-done
		k.mu.Lock()
		k.hung = false
		k.mu.Unlock()
	}()
}

func (k *keychain) get(ctx context.Context, service, user string) (secret.Secret, error) {
	v, err := k.call(ctx, "", func() (string, error) { return k.backend.Get(service, user) })
	if err != nil {
		return secret.Secret{}, err
	}
	return secret.New(v), nil
}

func (k *keychain) set(ctx context.Context, service, user string, s secret.Secret) error {
	_, err := k.call(ctx, s.Reveal(), func() (string, error) { return "", k.backend.Set(service, user, s.Reveal()) })
	return err
}

func (k *keychain) remove(ctx context.Context, service, user string) error {
	_, err := k.call(ctx, "", func() (string, error) { return "", k.backend.Delete(service, user) })
	return err
}

// classify maps go-keyring's errors (see docs: none of the "unavailable"
// cases is keyring.ErrNotFound) to ErrNotFound or a plain-words
// ErrKeychainUnavailable. secret, when set, is removed from any text kept.
func classify(err error, secret string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrNotFound
	}
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return unavailable("the OS keychain refused the value as too big; use a file instead")
	}
	if noBus(err) {
		return errNoBus
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "not provided by any .service files"),
		strings.Contains(msg, "org.freedesktop.DBus.Error.ServiceUnknown"):
		return errNoSecretService
	case strings.Contains(msg, "unlock"), strings.Contains(msg, "locked"),
		strings.Contains(msg, "dismissed"):
		return errLocked
	}
	return unavailable("the OS keychain failed (" + redact(msg, secret) + "); use a secret file or env instead")
}

// noBus recognises "there is no session bus": dbus-launch missing (in
// containers), a socket that does not exist, no address at all.
func noBus(err error) bool {
	var execErr *exec.Error
	var opErr *net.OpError
	return errors.As(err, &execErr) || errors.As(err, &opErr) ||
		strings.Contains(err.Error(), "couldn't determine address of session bus")
}

func redact(msg, value string) string {
	if value == "" {
		return msg
	}
	return strings.ReplaceAll(msg, value, secret.New(value).String())
}

// sessionBusCheck reports errNoBus without calling go-keyring when no
// session bus can exist. Without it godbus would run dbus-launch, which
// starts a dbus-daemon that outlives icloudmon.
func sessionBusCheck() error {
	switch runtime.GOOS {
	case "darwin", "windows":
		return nil // go-keyring uses the macOS/Windows keychain, no D-Bus
	}
	if !busReachable(os.Getenv("DBUS_SESSION_BUS_ADDRESS"), runtimeDir()) {
		return errNoBus
	}
	return nil
}

// busReachable mirrors godbus' address discovery: an explicit address, or
// the per-user bus socket or address file in runDir.
func busReachable(addr, runDir string) bool {
	if addr != "" && addr != "autolaunch:" {
		return true
	}
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(runDir, name)); err == nil {
			return true
		}
	}
	return false
}

func runtimeDir() string {
	return "/run/user/" + strconv.Itoa(os.Getuid())
}
