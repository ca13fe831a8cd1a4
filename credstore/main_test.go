package credstore

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/icloudmon/icloudmon/internal/syncbuf"
)

// childEnv selects a child-process role (see integration_test.go). Child
// processes talk to the real go-keyring provider; the normal test run never
// does: TestMain installs go-keyring's in-memory mock first, so no unit
// test can reach D-Bus (or make godbus autolaunch a dbus-daemon).
const childEnv = "ICLOUDMON_CREDSTORE_CHILD"

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(runChild(role))
	}
	keyring.MockInit()
	defaultKeychain.precheck = nil // the mock needs no session bus
	os.Exit(m.Run())
}

// mockKeychain resets go-keyring's mock (optionally failing every call with
// err) and returns a keychain that uses it.
func mockKeychain(t *testing.T, err error) *keychain {
	t.Helper()
	if err != nil {
		keyring.MockInitWithError(err)
	} else {
		keyring.MockInit()
	}
	t.Cleanup(keyring.MockInit)
	return &keychain{backend: goKeyring{}, timeout: KeychainTimeout}
}

// fakeBackend counts calls and can block until released.
type fakeBackend struct {
	mu      sync.Mutex
	calls   int
	block   chan struct{} // nil: answer at once
	store   map[string]string
	failErr error
}

func (f *fakeBackend) enter() error {
	f.mu.Lock()
	f.calls++
	block, err := f.block, f.failErr
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	return err
}

func (f *fakeBackend) Get(service, user string) (string, error) {
	if err := f.enter(); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.store[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeBackend) Set(service, user, secret string) error {
	if err := f.enter(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.store == nil {
		f.store = map[string]string{}
	}
	f.store[service+"/"+user] = secret
	return nil
}

func (f *fakeBackend) Delete(service, user string) error {
	if err := f.enter(); err != nil {
		return err
	}
	return nil
}

func (f *fakeBackend) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// logBuffer returns a logger that writes JSON lines to the returned buffer.
func logBuffer() (*slog.Logger, *syncbuf.Buffer) {
	b := &syncbuf.Buffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// noLeak fails if secret appears in any of texts.
func noLeak(t *testing.T, secret string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if secret != "" && strings.Contains(s, secret) {
			t.Errorf("secret value leaked into %q", s)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

var bg = context.Background()

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// dump prints every form a value might be logged in.
func dump(v any) string {
	return fmt.Sprintf("%v %+v %#v %s %q %x", v, v, v, v, v, v)
}
