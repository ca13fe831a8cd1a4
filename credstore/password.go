package credstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/icloudmon/icloudmon/secret"
)

// maxPasswordFile bounds what a password file may hold.
const maxPasswordFile = 4096

// dockerSecretsDir is where Docker and Podman mount secrets. Their default
// mode there is 0444 inside the container, so world-readable files in it
// are expected and not reported.
const dockerSecretsDir = "/run/secrets/"

// PasswordOptions says where to look for an account's Apple ID password.
// Sources are tried in this order: keychain, file, env.
type PasswordOptions struct {
	Account string // label used in messages (never the Apple ID)
	AppleID string // the keychain user
	Keyring bool   // look in the OS keychain (service "icloudmon")
	File    string // a secret file, e.g. /run/secrets/alice_icloud; "" = none
	Env     string // an environment variable name; "" = none
}

// Password is a found password and where it came from.
type Password struct {
	Value secret.Secret
	// Source names where it was found, for logs: "keychain",
	// "file /run/secrets/alice_icloud" or "env ALICE_PASSWORD".
	Source string
	// Notes are things worth logging about the sources (an unavailable
	// keychain that was skipped, a file readable by everyone). They never
	// contain the value.
	Notes []string
}

// NoPasswordError says that no configured source had the password, and why
// for each. It matches ErrNotFound with errors.Is; it also matches
// ErrKeychainUnavailable when the keychain could not be used.
type NoPasswordError struct {
	Account string
	Tried   []error // one per configured source, in order
}

func (e *NoPasswordError) Error() string {
	if len(e.Tried) == 0 {
		return fmt.Sprintf("no password source is configured for account %s; "+
			"set password.keyring, password.file or password.env", e.Account)
	}
	parts := make([]string, len(e.Tried))
	for i, err := range e.Tried {
		parts[i] = err.Error()
	}
	return fmt.Sprintf("no password for account %s: %s. To fix: %s", e.Account, strings.Join(parts, "; "),
		PasswordHint(e.Account, inContainer()))
}

// Reason is the per-source part of the error, without the fix: "file
// /run/secrets/a: the file is empty".
func (e *NoPasswordError) Reason() string {
	if len(e.Tried) == 0 {
		return "no password source is configured"
	}
	parts := make([]string, len(e.Tried))
	for i, err := range e.Tried {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

// inContainer is InContainer, replaceable by tests.
var inContainer = InContainer

// Is matches ErrNotFound.
func (e *NoPasswordError) Is(target error) bool { return target == ErrNotFound }

// Unwrap returns the per-source errors.
func (e *NoPasswordError) Unwrap() []error { return e.Tried }

// sourceError is one source's reason for not supplying the password.
type sourceError struct {
	source string
	err    error
}

func (e *sourceError) Error() string { return e.source + ": " + e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// LookupPassword returns the first password found in the sources opts
// enables. An unavailable keychain, a missing or empty file and an unset
// variable each move on to the next source; if none has it the error is a
// *NoPasswordError.
func LookupPassword(ctx context.Context, opts PasswordOptions) (Password, error) {
	return lookupPassword(ctx, defaultKeychain, opts)
}

func lookupPassword(ctx context.Context, kc *keychain, opts PasswordOptions) (Password, error) {
	var notes []string
	var tried []error
	for _, src := range sources(kc, opts) {
		val, note, err := src.get(ctx)
		if note != "" {
			notes = append(notes, src.name+": "+note)
		}
		if err == nil {
			return Password{Value: val, Source: src.name, Notes: notes}, nil
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return Password{}, err
		}
		se := &sourceError{source: src.name, err: err}
		tried = append(tried, se)
		if !errors.Is(err, ErrNotFound) {
			notes = append(notes, se.Error())
		}
	}
	return Password{Notes: notes}, &NoPasswordError{Account: opts.Account, Tried: tried}
}

type source struct {
	name string
	get  func(context.Context) (secret.Secret, string, error)
}

func sources(kc *keychain, opts PasswordOptions) []source {
	var out []source
	if opts.Keyring {
		out = append(out, source{"keychain", func(ctx context.Context) (secret.Secret, string, error) {
			if opts.AppleID == "" {
				return secret.Secret{}, "", errors.New("no apple_id configured")
			}
			s, err := kc.get(ctx, Service, opts.AppleID)
			if errors.Is(err, ErrNotFound) {
				err = fmt.Errorf("no password stored for this Apple ID: %w", ErrNotFound)
			}
			return s, "", err
		}})
	}
	if opts.File != "" {
		out = append(out, source{"file " + opts.File, func(context.Context) (secret.Secret, string, error) {
			return readPasswordFile(opts.File)
		}})
	}
	if opts.Env != "" {
		out = append(out, source{"env " + opts.Env, func(context.Context) (secret.Secret, string, error) {
			return readPasswordEnv(opts.Env)
		}})
	}
	return out
}

// readPasswordFile reads a secret file and trims one trailing newline. A
// file that others can read is used, with a note (see dockerSecretsDir).
// It never blocks and never reads much: a named pipe, a device (/dev/zero),
// a directory or a socket is refused before it is opened, the open does
// not wait for a pipe's writer, and at most maxPasswordFile+1 bytes are
// read.
func readPasswordFile(path string) (secret.Secret, string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return secret.Secret{}, "", fmt.Errorf("the file does not exist: %w", ErrNotFound)
	}
	if err != nil {
		return secret.Secret{}, "", fmt.Errorf("cannot read the file: %w", pathless(err))
	}
	if !fi.Mode().IsRegular() {
		return secret.Secret{}, "", notRegular(fi.Mode())
	}
	f, err := openNoBlock(path)
	if err != nil {
		return secret.Secret{}, "", fmt.Errorf("cannot read the file: %w", pathless(err))
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return secret.Secret{}, "", fmt.Errorf("cannot read the file: %w", pathless(err))
	}
	if !fi.Mode().IsRegular() { // replaced since the Stat above
		return secret.Secret{}, "", notRegular(fi.Mode())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxPasswordFile+1))
	if err != nil {
		return secret.Secret{}, "", fmt.Errorf("cannot read the file: %w", pathless(err))
	}
	if len(b) > maxPasswordFile {
		return secret.Secret{}, "", fmt.Errorf("the file is larger than %d bytes; it should hold only the password", maxPasswordFile)
	}
	pw := trimNewline(string(b))
	if pw == "" {
		return secret.Secret{}, "", fmt.Errorf("the file is empty: %w", ErrNotFound)
	}
	return secret.New(pw), modeNote(path, fi.Mode()), nil
}

// notRegular says what a non-regular password file is.
func notRegular(m os.FileMode) error {
	what := ""
	switch {
	case m.IsDir():
		what = " (a directory)"
	case m&os.ModeNamedPipe != 0:
		what = " (a named pipe, FIFO)"
	case m&os.ModeDevice != 0 || m&os.ModeCharDevice != 0:
		what = " (a device)"
	case m&os.ModeSocket != 0:
		what = " (a socket)"
	}
	return fmt.Errorf("not a regular file%s; give the path of a file that holds only the password", what)
}

func modeNote(path string, mode os.FileMode) string {
	abs, _ := filepath.Abs(path)
	if mode.Perm()&0o004 == 0 || strings.HasPrefix(abs, dockerSecretsDir) {
		return ""
	}
	return fmt.Sprintf("the file is readable by every user (mode %04o); run: chmod 600 %s", mode.Perm(), path)
}

// trimNewline removes one trailing "\n" or "\r\n" (as left by echo or an
// editor) and nothing else: spaces may be part of a password.
func trimNewline(s string) string {
	if strings.HasSuffix(s, "\r\n") {
		return s[:len(s)-2]
	}
	return strings.TrimSuffix(s, "\n")
}

func readPasswordEnv(name string) (secret.Secret, string, error) {
	v, ok := os.LookupEnv(name)
	switch {
	case !ok:
		return secret.Secret{}, "", fmt.Errorf("the variable is not set: %w", ErrNotFound)
	case v == "":
		return secret.Secret{}, "", fmt.Errorf("the variable is empty: %w", ErrNotFound)
	}
	return secret.New(v), "", nil
}

// pathless drops the *PathError wrapper (the source name already says the
// path) and keeps its cause, e.g. "permission denied".
func pathless(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// SetPassword stores pw as appleID's password in the OS keychain (for
// `icloudmon password set`).
func SetPassword(ctx context.Context, appleID string, pw secret.Secret) error {
	return setPassword(ctx, defaultKeychain, appleID, pw)
}

func setPassword(ctx context.Context, kc *keychain, appleID string, pw secret.Secret) error {
	if appleID == "" || !pw.IsSet() {
		return errors.New("store password: the Apple ID and the password must not be empty")
	}
	if err := kc.set(ctx, Service, appleID, pw); err != nil {
		return fmt.Errorf("store the password in the OS keychain: %w", err)
	}
	return nil
}

// DeletePassword removes appleID's password from the OS keychain (for
// `icloudmon password delete`). It returns an error matching ErrNotFound
// when none was stored.
func DeletePassword(ctx context.Context, appleID string) error {
	return deletePassword(ctx, defaultKeychain, appleID)
}

func deletePassword(ctx context.Context, kc *keychain, appleID string) error {
	if err := kc.remove(ctx, Service, appleID); err != nil {
		return fmt.Errorf("delete the password from the OS keychain: %w", err)
	}
	return nil
}
