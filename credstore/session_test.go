package credstore

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/icloudmon/icloudmon/internal/syncbuf"
)

var blob = []byte(`{"cookies":[{"name":"X-APPLE-WEBAUTH-TOKEN","value":"v=2:t=SESSION-SECRET-TOKEN"}]}`)

const blobSecret = "SESSION-SECRET-TOKEN"

type sessionFixture struct {
	s    *SessionStore
	dir  string // data_dir/sessions
	logs *syncbuf.Buffer
}

// newSessions returns a store in mode whose keychain is kc.
func newSessions(t *testing.T, mode Mode, kc *keychain) sessionFixture {
	t.Helper()
	dataDir := t.TempDir()
	log, logs := logBuffer()
	s, err := NewSessionStore(dataDir, mode, log)
	must(t, err)
	s.kc = kc
	t.Cleanup(func() {
		noLeak(t, blobSecret, logs.String())
		noLeak(t, base64.StdEncoding.EncodeToString(blob)[:40], logs.String())
	})
	return sessionFixture{s: s, dir: filepath.Join(dataDir, "sessions"), logs: logs}
}

func (f sessionFixture) file(account string) string { return filepath.Join(f.dir, account+".json") }

func (f sessionFixture) mustLoad(t *testing.T, account string, want []byte) {
	t.Helper()
	got, err := f.s.Load(bg, account)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Load(%s) = %q, %v; want %q", account, got, err, want)
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	must(t, err)
	return fi.Mode().Perm()
}

// neverCalled is a keychain whose backend fails the test when used.
func neverCalled(t *testing.T) (*keychain, *fakeBackend) {
	fb := &fakeBackend{}
	t.Cleanup(func() {
		if fb.count() != 0 {
			t.Errorf("keychain called %d times in file mode", fb.count())
		}
	})
	return &keychain{backend: fb, timeout: time.Second}, fb
}

func TestFileModeRoundTripPermissions(t *testing.T) {
	kc, _ := neverCalled(t)
	f := newSessions(t, ModeFile, kc)
	if _, err := f.s.Load(bg, "alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load before Save: %v, want ErrNotFound", err)
	}
	must(t, f.s.Save(bg, "alice", blob))
	f.mustLoad(t, "alice", blob)
	if m := mode(t, f.file("alice")); m != 0o600 {
		t.Errorf("session file mode %04o, want 0600", m)
	}
	if m := mode(t, f.dir); m != 0o700 {
		t.Errorf("sessions dir mode %04o, want 0700", m)
	}
	must(t, f.s.Save(bg, "alice", []byte("newer")))
	f.mustLoad(t, "alice", []byte("newer"))
	must(t, f.s.Delete(bg, "alice"))
	must(t, f.s.Delete(bg, "alice")) // idempotent
	if _, err := f.s.Load(bg, "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load after Delete: %v", err)
	}
	entries, _ := os.ReadDir(f.dir)
	if len(entries) != 0 {
		t.Errorf("files left in %s: %v", f.dir, entries)
	}
}

func TestAutoModeUsesWorkingKeychain(t *testing.T) {
	f := newSessions(t, ModeAuto, mockKeychain(t, nil))
	// A stale file from a time without keychain is removed by the next Save.
	must(t, os.MkdirAll(f.dir, 0o700))
	stale := newFileStore(f.dir, nil)
	must(t, stale.write("alice", envelope{Format: 1, Account: "alice", SavedAt: time.Unix(1, 0), Session: []byte("old")}))
	must(t, f.s.Save(bg, "alice", blob))
	if _, err := os.Stat(f.file("alice")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("session file exists although the keychain works: %v", err)
	}
	if v, err := keyring.Get(sessionService, "alice"); err != nil || !strings.Contains(v, `"account":"alice"`) {
		t.Errorf("keychain entry: %v", err)
	}
	f.mustLoad(t, "alice", blob)
	must(t, f.s.Delete(bg, "alice"))
	if _, err := keyring.Get(sessionService, "alice"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("keychain entry after Delete: %v", err)
	}
}

func TestAutoModeFallsBackToFile(t *testing.T) {
	f := newSessions(t, ModeAuto, mockKeychain(t, errNoDBusLaunch))
	must(t, f.s.Save(bg, "alice", blob))
	if m := mode(t, f.file("alice")); m != 0o600 {
		t.Errorf("fallback file mode %04o", m)
	}
	f.mustLoad(t, "alice", blob)
	must(t, f.s.Save(bg, "alice", blob))
	logs := f.logs.String()
	if !strings.Contains(logs, `"level":"INFO","msg":"OS keychain not usable`) ||
		!strings.Contains(logs, `"level":"DEBUG","msg":"OS keychain not usable`) ||
		!strings.Contains(logs, "no OS keychain available (no D-Bus session)") {
		t.Errorf("log does not say once at INFO (then at DEBUG) why the file store is used:\n%s", logs)
	}
	must(t, f.s.Delete(bg, "alice"))
	if _, err := os.Stat(f.file("alice")); !errors.Is(err, os.ErrNotExist) {
		t.Error("Delete left the file")
	}
}

func TestAutoModeKeychainTimeoutFallsBack(t *testing.T) {
	fb := &fakeBackend{block: make(chan struct{})}
	defer close(fb.block)
	f := newSessions(t, ModeAuto, &keychain{backend: fb, timeout: 30 * time.Millisecond})
	must(t, f.s.Save(bg, "alice", blob))
	f.mustLoad(t, "alice", blob)
}

func TestAutoModeNewerCopyWins(t *testing.T) {
	kc := mockKeychain(t, nil)
	f := newSessions(t, ModeAuto, kc)
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f.s.now = func() time.Time { return t0 }
	must(t, f.s.Save(bg, "alice", []byte("keychain copy")))
	// Later the keychain was unavailable and a newer session went to the file.
	must(t, newFileStore(f.dir, nil).write("alice",
		envelope{Format: 1, Account: "alice", SavedAt: t0.Add(time.Hour), Session: []byte("file copy")}))
	f.mustLoad(t, "alice", []byte("file copy"))
	f.s.now = func() time.Time { return t0.Add(2 * time.Hour) }
	must(t, f.s.Save(bg, "alice", []byte("newest")))
	f.mustLoad(t, "alice", []byte("newest"))
}

func TestKeychainModeReportsUnavailable(t *testing.T) {
	f := newSessions(t, ModeKeychain, mockKeychain(t, errNoDBusLaunch))
	for _, err := range []error{f.s.Save(bg, "alice", blob), loadErr(f.s, "alice"), f.s.Delete(bg, "alice")} {
		if !errors.Is(err, ErrKeychainUnavailable) || !strings.Contains(err.Error(), "no OS keychain available (no D-Bus session)") {
			t.Errorf("err = %v, want the plain-words unavailable error", err)
		}
	}
	if _, err := os.Stat(f.dir); !errors.Is(err, os.ErrNotExist) {
		t.Error("keychain mode created the sessions directory")
	}
}

func loadErr(s *SessionStore, account string) error {
	_, err := s.Load(bg, account)
	return err
}

func TestAccountNamesAreSafeFileNames(t *testing.T) {
	kc, _ := neverCalled(t)
	f := newSessions(t, ModeFile, kc)
	for _, name := range []string{"", "../evil", "a/b", ".hidden", "..", "Alice", "a b", strings.Repeat("a", 64), strings.Repeat("a", 100), "a\x00b"} {
		if err := f.s.Save(bg, name, blob); err == nil || !strings.Contains(err.Error(), "cannot name a session") {
			t.Errorf("Save(%q) = %v, want a name error", name, err)
		}
		if err := loadErr(f.s, name); err == nil {
			t.Errorf("Load(%q) succeeded", name)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(f.dir), "evil.json")); err == nil {
		t.Error("path traversal wrote outside the sessions directory")
	}
}

func TestLooseFilePermissionsAreFixedAndReported(t *testing.T) {
	kc, _ := neverCalled(t)
	f := newSessions(t, ModeFile, kc)
	must(t, f.s.Save(bg, "alice", blob))
	must(t, os.Chmod(f.file("alice"), 0o644))
	f.mustLoad(t, "alice", blob)
	if m := mode(t, f.file("alice")); m != 0o600 {
		t.Errorf("mode after Load = %04o, want 0600", m)
	}
	if !strings.Contains(f.logs.String(), "mode reset to 0600") || !strings.Contains(f.logs.String(), `"old_mode":"0644"`) {
		t.Errorf("fix not reported:\n%s", f.logs)
	}
	must(t, os.Chmod(f.dir, 0o755))
	must(t, f.s.Save(bg, "alice", blob))
	if m := mode(t, f.dir); m != 0o700 {
		t.Errorf("dir mode after Save = %04o, want 0700", m)
	}
}

func TestFailedWriteKeepsOldSessionAndLeavesNoTemp(t *testing.T) {
	failures := map[string]func(fs *fileStore){
		"fsync fails": func(fs *fileStore) { fs.sync = func(*os.File) error { return errors.New("injected fsync failure") } },
		"rename fails": func(fs *fileStore) {
			fs.rename = func(_, _ string) error { return errors.New("injected rename failure") }
		},
	}
	for name, inject := range failures {
		t.Run(name, func(t *testing.T) {
			kc, _ := neverCalled(t)
			f := newSessions(t, ModeFile, kc)
			must(t, f.s.Save(bg, "alice", []byte("old session")))
			inject(f.s.files)
			err := f.s.Save(bg, "alice", blob)
			if err == nil || !strings.Contains(err.Error(), "injected") {
				t.Fatalf("Save = %v, want the injected failure", err)
			}
			noLeak(t, blobSecret, err.Error())
			f.mustLoad(t, "alice", []byte("old session"))
			entries, _ := os.ReadDir(f.dir)
			if len(entries) != 1 || entries[0].Name() != "alice.json" {
				t.Errorf("after failed write the dir holds %v; want only alice.json", entries)
			}
		})
	}
}

func TestDamagedFileIsReportedAndKept(t *testing.T) {
	kc, _ := neverCalled(t)
	f := newSessions(t, ModeFile, kc)
	must(t, os.MkdirAll(f.dir, 0o700))
	cases := map[string]string{
		"garbage":       "not json " + blobSecret,
		"wrong account": `{"format":1,"account":"bob","saved_at":"2026-11-22T10:00:00Z","session":"eA=="}`,
		"future format": `{"format":9,"account":"alice","session":"eA=="}`,
		"empty session": `{"format":1,"account":"alice","session":""}`,
	}
	for name, content := range cases {
		must(t, os.WriteFile(f.file("alice"), []byte(content), 0o600))
		err := loadErr(f.s, "alice")
		if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "is damaged") {
			t.Errorf("%s: Load = %v, want a damaged-file error", name, err)
		}
		noLeak(t, blobSecret, errText(err))
		if b, _ := os.ReadFile(f.file("alice")); string(b) != content {
			t.Errorf("%s: Load changed the damaged file", name)
		}
	}
}

func TestAutoModeDamagedFileButKeychainCopy(t *testing.T) {
	f := newSessions(t, ModeAuto, mockKeychain(t, nil))
	must(t, f.s.Save(bg, "alice", blob))
	must(t, os.MkdirAll(f.dir, 0o700))
	must(t, os.WriteFile(f.file("alice"), []byte("garbage"), 0o600))
	f.mustLoad(t, "alice", blob)
	if !strings.Contains(f.logs.String(), "session file ignored") {
		t.Errorf("damaged file not reported:\n%s", f.logs)
	}
}

func TestParseModeAndConstructor(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeAuto, "auto": ModeAuto, "keychain": ModeKeychain, "keyring": ModeKeychain, "file": ModeFile} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("disk"); err == nil || !strings.Contains(err.Error(), "use auto, keychain or file") {
		t.Errorf("ParseMode(disk) = %v", err)
	}
	if _, err := NewSessionStore("", ModeFile, nil); err == nil {
		t.Error("NewSessionStore with empty data_dir succeeded")
	}
	if _, err := NewSessionStore(t.TempDir(), "bogus", nil); err == nil {
		t.Error("NewSessionStore with a bad mode succeeded")
	}
	s, err := NewSessionStore(t.TempDir(), "", nil)
	if err != nil || s.Mode() != ModeAuto {
		t.Errorf("default mode = %v, %v", s, err)
	}
}

func TestEmptySessionIsRefused(t *testing.T) {
	kc, _ := neverCalled(t)
	f := newSessions(t, ModeFile, kc)
	if err := f.s.Save(bg, "alice", nil); err == nil {
		t.Error("empty session saved")
	}
}

// TestUnchangedSessionIsNotRewritten: saving the session a file already
// holds leaves the file alone (no temporary file, fsync or rename); a
// changed session still goes through fsync and an atomic rename.
func TestUnchangedSessionIsNotRewritten(t *testing.T) {
	kc, _ := neverCalled(t)
	f := newSessions(t, ModeFile, kc)
	must(t, f.s.Save(bg, "alice", blob))
	before, err := os.Stat(f.file("alice"))
	must(t, err)

	var syncs, renames int
	fs := f.s.files
	fs.sync = func(file *os.File) error { syncs++; return file.Sync() }
	fs.rename = func(o, n string) error { renames++; return os.Rename(o, n) }

	f.s.now = func() time.Time { return time.Now().Add(time.Hour) }
	must(t, f.s.Save(bg, "alice", bytes.Clone(blob)))
	after, err := os.Stat(f.file("alice"))
	must(t, err)
	if syncs != 0 || renames != 0 || !os.SameFile(before, after) {
		t.Fatalf("unchanged session: %d fsyncs, %d renames, same file %v; want the file left alone",
			syncs, renames, os.SameFile(before, after))
	}
	f.mustLoad(t, "alice", blob)

	changed := append(bytes.Clone(blob), ' ')
	must(t, f.s.Save(bg, "alice", changed))
	after2, err := os.Stat(f.file("alice"))
	must(t, err)
	if syncs != 1 || renames != 1 || os.SameFile(after, after2) {
		t.Fatalf("changed session: %d fsyncs, %d renames, same file %v; want one fsync and one rename of a new file",
			syncs, renames, os.SameFile(after, after2))
	}
	f.mustLoad(t, "alice", changed)
	if m := mode(t, f.file("alice")); m != 0o600 {
		t.Errorf("mode %04o, want 0600", m)
	}
	entries, _ := os.ReadDir(f.dir)
	if len(entries) != 1 {
		t.Errorf("the dir holds %v; want only alice.json", entries)
	}
}
