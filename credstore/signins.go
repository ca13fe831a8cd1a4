package credstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// maxSignInRecord bounds what a sign-in record file may hold: it keeps a
// few dozen timestamps and one fingerprint.
const maxSignInRecord = 64 << 10

// lockPoll is how often Lock tries again while another process holds the
// sign-in lock of the account.
const lockPoll = 20 * time.Millisecond

// SignIns is the record of one account's password sign-in attempts that
// every process sharing data_dir consults before it sends a password to
// Apple: data_dir/sessions/<account>.signins.json, written atomically, and
// the lock file <account>.signins.lock next to it. Lock takes an exclusive
// advisory lock (flock(2) on Unix, LockFileEx on Windows) that the kernel
// drops when the process ends, however it ends, so a crash never leaves a
// stale lock. The content is opaque here (icloudapi owns it); it holds no
// password but may hold a salted fingerprint of a rejected one, so both
// files are 0600 in the 0700 sessions directory.
type SignIns struct {
	account string
	files   *fileStore
}

// NewSignIns returns the sign-in record of account in dataDir. It touches
// no file until Lock.
func NewSignIns(dataDir, account string) *SignIns {
	return &SignIns{account: account, files: newFileStore(filepath.Join(dataDir, "sessions"), nil)}
}

func (s *SignIns) recordPath() string { return filepath.Join(s.files.dir, s.account+".signins.json") }
func (s *SignIns) lockPath() string   { return filepath.Join(s.files.dir, s.account+".signins.lock") }

// Lock waits until no other process (and no other SignIns of this
// process) holds the account's sign-in lock, or ctx ends, and takes it.
// Call unlock exactly once when the attempt is over and its outcome is
// written.
func (s *SignIns) Lock(ctx context.Context) (unlock func(), err error) {
	if err := checkAccount(s.account); err != nil {
		return nil, err
	}
	if err := s.files.ensureDir(); err != nil {
		return nil, fmt.Errorf("sign-in lock: %w", err)
	}
	f, err := os.OpenFile(s.lockPath(), os.O_RDWR|os.O_CREATE, 0o600) //nolint:gosec // G304: data_dir/sessions and a checked account label
	if err != nil {
		return nil, fmt.Errorf("sign-in lock %s: %w (is data_dir writable?)", s.lockPath(), err)
	}
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("sign-in lock %s: %w", s.lockPath(), err)
		}
		if ok {
			return func() { unlockFile(f); f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another icloudmon process to finish signing in to account %s: %w", s.account, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// Read returns the record, or nil when none was written yet. Call it with
// the lock held.
func (s *SignIns) Read() ([]byte, error) {
	f, err := os.Open(s.recordPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read sign-in record: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSignInRecord+1))
	if err != nil {
		return nil, fmt.Errorf("read sign-in record: %w", err)
	}
	if len(b) > maxSignInRecord {
		return nil, fmt.Errorf("sign-in record %s is larger than %d bytes", s.recordPath(), maxSignInRecord)
	}
	return b, nil
}

// Write replaces the record durably (temp file, fsync, rename, fsync of
// the directory) before it returns. Call it with the lock held.
func (s *SignIns) Write(b []byte) error {
	if err := checkAccount(s.account); err != nil {
		return err
	}
	if err := s.files.ensureDir(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.files.dir, "."+s.account+".signins.tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("write sign-in record: %w", err)
	}
	if err := s.files.commit(tmp, b, s.recordPath()); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write sign-in record %s: %w", s.recordPath(), err)
	}
	return nil
}
