package credstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// maxSessionFile bounds what a session file may hold.
const maxSessionFile = 1 << 20

// accountRE and maxAccount are the configs label rule: a safe file name,
// no path. The length is checked apart: a counted repetition ({0,62})
// compiles to hundreds of instructions when the binary starts, 1 ms of
// every verify.
var accountRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

const maxAccount = 63

func checkAccount(account string) error {
	if len(account) > maxAccount || !accountRE.MatchString(account) {
		return fmt.Errorf("account name %q cannot name a session: use up to 63 lower-case letters, "+
			"digits, \"_\" and \"-\", starting with a letter or digit", account)
	}
	return nil
}

// envelope is how a session is kept, in a file and in the keychain. SavedAt
// lets Load pick the newer copy when both exist.
type envelope struct {
	Format  int       `json:"format"`
	Account string    `json:"account"`
	SavedAt time.Time `json:"saved_at"`
	Session []byte    `json:"session"`
}

const envelopeFormat = 1

func decodeEnvelope(b []byte, account string) (envelope, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return envelope{}, errors.New("not a session file (JSON does not parse)")
	}
	switch {
	case env.Format != envelopeFormat:
		return envelope{}, fmt.Errorf("unknown session format %d (written by another icloudmon version?)", env.Format)
	case env.Account != account:
		return envelope{}, fmt.Errorf("holds the session of account %q, not %q", env.Account, account)
	case len(env.Session) == 0:
		return envelope{}, errors.New("holds an empty session")
	}
	return env, nil
}

// fileStore keeps sessions as dir/<account>.json, mode 0600, dir 0700.
// Writes are atomic: temp file in dir, fsync, rename, fsync dir; a file that
// already holds the session being saved is not rewritten.
type fileStore struct {
	dir    string
	log    *slog.Logger
	sync   func(*os.File) error        // tests inject failures
	rename func(old, new string) error // tests inject failures
}

func newFileStore(dir string, log *slog.Logger) *fileStore {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &fileStore{dir: dir, log: log, sync: (*os.File).Sync, rename: os.Rename}
}

func (fs *fileStore) path(account string) string {
	return filepath.Join(fs.dir, account+".json")
}

// read returns the stored envelope, ErrNotFound, or a damaged-file error. A
// file that others may read is used, and its mode is reset to 0600 with a
// warning.
func (fs *fileStore) read(account string) (envelope, error) {
	p := fs.path(account)
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return envelope{}, ErrNotFound
	}
	if err != nil {
		return envelope{}, fmt.Errorf("read session file: %w", err)
	}
	defer f.Close()
	fs.fixMode(f, p)
	b, err := io.ReadAll(io.LimitReader(f, maxSessionFile+1))
	if err != nil {
		return envelope{}, fmt.Errorf("read session file: %w", err)
	}
	if len(b) > maxSessionFile {
		return envelope{}, fmt.Errorf("session file %s is larger than %d bytes; delete it and sign in again", p, maxSessionFile)
	}
	env, err := decodeEnvelope(b, account)
	if err != nil {
		return envelope{}, fmt.Errorf("session file %s is damaged: %w; icloudmon left it as it is: "+
			"delete it (or run `icloudmon logout`) and sign in again", p, err)
	}
	return env, nil
}

func (fs *fileStore) fixMode(f *os.File, p string) {
	fi, err := f.Stat()
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	old := fi.Mode().Perm()
	if err := f.Chmod(0o600); err != nil {
		fs.log.Warn("session file can be read by other users and its mode cannot be fixed; run chmod 600 on it",
			"path", p, "mode", fmt.Sprintf("%04o", old), "err", err)
		return
	}
	fs.log.Warn("session file could be read by other users; mode reset to 0600",
		"path", p, "old_mode", fmt.Sprintf("%04o", old))
}

// write replaces the account's file atomically with mode 0600. A file that
// already holds the same session is left as it is: a repeat run of a
// command restores the session, uses it and saves it unchanged, and
// rewriting it would cost a temporary file, a rename and two fsyncs for
// nothing. Its saved_at then tells when the session last changed.
func (fs *fileStore) write(account string, env envelope) error {
	b, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	if err := fs.ensureDir(); err != nil {
		return err
	}
	if old, err := fs.read(account); err == nil && bytes.Equal(old.Session, env.Session) {
		return nil
	}
	tmp, err := os.CreateTemp(fs.dir, "."+account+".json.tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("write session file: %w", err)
	}
	if err := fs.commit(tmp, b, fs.path(account)); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write session file %s: %w", fs.path(account), err)
	}
	return nil
}

func (fs *fileStore) commit(tmp *os.File, b []byte, dst string) error {
	if _, err := tmp.Write(b); err != nil {
		return err
	}
	if err := fs.sync(tmp); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := fs.rename(tmp.Name(), dst); err != nil {
		return err
	}
	return syncDir(fs.dir)
}

// ensureDir creates the sessions directory 0700, or tightens an existing
// one with a warning.
func (fs *fileStore) ensureDir() error {
	if err := os.MkdirAll(fs.dir, 0o700); err != nil {
		return fmt.Errorf("create session directory: %w", err)
	}
	fi, err := os.Stat(fs.dir)
	if err != nil {
		return fmt.Errorf("create session directory: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(fs.dir, 0o700); err != nil { //nolint:gosec // G302: a directory needs x; 0700 is owner-only
			return fmt.Errorf("session directory %s is open to other users and cannot be fixed: %w", fs.dir, err)
		}
		fs.log.Warn("session directory was open to other users; mode reset to 0700", "path", fs.dir)
	}
	return nil
}

func (fs *fileStore) remove(account string) error {
	err := os.Remove(fs.path(account))
	if errors.Is(err, os.ErrNotExist) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete session file: %w", err)
	}
	return syncDir(fs.dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
