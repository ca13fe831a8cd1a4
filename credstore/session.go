package credstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/icloudmon/icloudmon/secret"
)

// Mode chooses where sessions are kept.
type Mode string

const (
	// ModeAuto uses the OS keychain when it works and the file store
	// otherwise; Load returns the newer copy when both exist.
	ModeAuto Mode = "auto"
	// ModeKeychain uses only the OS keychain; an unavailable keychain is
	// an error.
	ModeKeychain Mode = "keychain"
	// ModeFile uses only data_dir/sessions and never talks to D-Bus (for
	// containers).
	ModeFile Mode = "file"
)

// ParseMode accepts "auto" (also ""), "keychain" (also "keyring", the
// word the password settings use) or "file".
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", ModeAuto:
		return ModeAuto, nil
	case ModeKeychain, "keyring":
		return ModeKeychain, nil
	case ModeFile:
		return ModeFile, nil
	}
	return "", fmt.Errorf("session store %q: use auto, keychain or file", s)
}

// SessionStore keeps each account's opaque session blob (cookies and tokens
// serialised by icloudapi). It never logs or returns the blob in an error.
type SessionStore struct {
	mode  Mode
	files *fileStore
	kc    *keychain
	log   *slog.Logger
	now   func() time.Time

	fellBack atomic.Bool // the file fallback was already logged at Info
}

// NewSessionStore returns a store that keeps files in dataDir/sessions.
// logger receives warnings (permissions fixed, keychain skipped); nil
// discards them.
func NewSessionStore(dataDir string, mode Mode, logger *slog.Logger) (*SessionStore, error) {
	mode, err := ParseMode(string(mode))
	if err != nil {
		return nil, err
	}
	if dataDir == "" {
		return nil, errors.New("session store: data_dir is empty; set data_dir")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &SessionStore{
		mode:  mode,
		files: newFileStore(filepath.Join(dataDir, "sessions"), logger),
		kc:    defaultKeychain,
		log:   logger,
		now:   time.Now,
	}, nil
}

// Mode returns the store's mode.
func (s *SessionStore) Mode() Mode { return s.mode }

// Load returns account's saved session, or an error matching ErrNotFound
// when there is none.
func (s *SessionStore) Load(ctx context.Context, account string) ([]byte, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	var kenv, fenv envelope
	kerr, ferr := ErrNotFound, ErrNotFound
	if s.mode != ModeFile {
		kenv, kerr = s.keychainRead(ctx, account)
		if kerr != nil && s.mode == ModeKeychain {
			return nil, fmt.Errorf("load session of %s: %w", account, kerr)
		}
	}
	if s.mode != ModeKeychain {
		fenv, ferr = s.files.read(account)
	}
	return s.pick(account, kenv, kerr, fenv, ferr)
}

// pick returns the newer of the keychain and file copies.
func (s *SessionStore) pick(account string, kenv envelope, kerr error, fenv envelope, ferr error) ([]byte, error) {
	switch {
	case kerr == nil && ferr == nil:
		if fenv.SavedAt.After(kenv.SavedAt) {
			return fenv.Session, nil
		}
		return kenv.Session, nil
	case kerr == nil:
		if !errors.Is(ferr, ErrNotFound) {
			s.log.Warn("session file ignored; using the session from the OS keychain", "account", account, "err", ferr)
		}
		return kenv.Session, nil
	case ferr == nil:
		return fenv.Session, nil
	case errors.Is(ferr, ErrNotFound):
		if !errors.Is(kerr, ErrNotFound) {
			s.log.Info("no session in the OS keychain", "account", account, "err", kerr)
		}
		return nil, fmt.Errorf("no saved session for account %s: %w", account, ErrNotFound)
	}
	return nil, fmt.Errorf("load session of %s: %w", account, ferr)
}

func (s *SessionStore) keychainRead(ctx context.Context, account string) (envelope, error) {
	v, err := s.kc.get(ctx, sessionService, account)
	if err != nil {
		return envelope{}, err
	}
	env, err := decodeEnvelope([]byte(v.Reveal()), account)
	if err != nil {
		return envelope{}, fmt.Errorf("the session in the OS keychain is damaged: %w", err)
	}
	return env, nil
}

// Save stores blob as account's session, replacing the previous one.
func (s *SessionStore) Save(ctx context.Context, account string, blob []byte) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	if len(blob) == 0 {
		return fmt.Errorf("save session of %s: the session is empty", account)
	}
	env := envelope{Format: envelopeFormat, Account: account, SavedAt: s.now().UTC(), Session: blob}
	switch s.mode {
	case ModeFile:
		return s.files.write(account, env)
	case ModeKeychain:
		return s.keychainWrite(ctx, account, env)
	}
	return s.saveAuto(ctx, account, env)
}

func (s *SessionStore) saveAuto(ctx context.Context, account string, env envelope) error {
	err := s.keychainWrite(ctx, account, env)
	if err == nil {
		// One copy only: a stale file must not outlive the keychain copy.
		if rerr := s.files.remove(account); rerr != nil && !errors.Is(rerr, ErrNotFound) {
			s.log.Warn("old session file could not be deleted", "account", account, "err", rerr)
		}
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	level := slog.LevelInfo
	if s.fellBack.Swap(true) {
		level = slog.LevelDebug // said once; sessions are saved every cycle
	}
	s.log.Log(ctx, level, "OS keychain not usable; keeping the session in a 0600 file",
		"account", account, "path", s.files.path(account), "reason", err)
	return s.files.write(account, env)
}

func (s *SessionStore) keychainWrite(ctx context.Context, account string, env envelope) error {
	b, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	if err := s.kc.set(ctx, sessionService, account, secret.New(string(b))); err != nil {
		return fmt.Errorf("save session of %s in the OS keychain: %w", account, err)
	}
	return nil
}

// Delete forgets account's session wherever it is kept. Deleting a session
// that does not exist is not an error.
func (s *SessionStore) Delete(ctx context.Context, account string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var errs []error
	if s.mode != ModeFile {
		err := s.kc.remove(ctx, sessionService, account)
		if err != nil && !errors.Is(err, ErrNotFound) &&
			(s.mode == ModeKeychain || !errors.Is(err, ErrKeychainUnavailable)) {
			errs = append(errs, fmt.Errorf("delete session of %s from the OS keychain: %w", account, err))
		}
	}
	if s.mode != ModeKeychain {
		if err := s.files.remove(account); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
