package credstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/secret"
)

// Child roles. They run in a re-executed test binary in which go-keyring
// still has its real provider (TestMain did not install the mock).
const (
	roleIntegration = "integration" // full round trip on the real Secret Service
	roleNoBus       = "nobus"       // real go-keyring with an unreachable bus
)

const exitUnavailable = 3

func runChild(role string) int {
	var err error
	switch role {
	case roleIntegration:
		err = childIntegration()
	case roleNoBus:
		err = childNoBus()
	case roleHoldSignIns:
		err = childHoldSignIns()
	default:
		err = fmt.Errorf("unknown child role %q", role)
	}
	if errors.Is(err, ErrKeychainUnavailable) && role == roleIntegration {
		fmt.Println("UNAVAILABLE:", err)
		return exitUnavailable
	}
	if err != nil {
		fmt.Println("FAIL:", err)
		return 1
	}
	fmt.Println("OK")
	return 0
}

// runRole re-executes the test binary in role with extra environment.
func runRole(t *testing.T, role string, env ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), childEnv+"="+role), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("run child %s: %v", role, err)
	}
	return out.String(), 0
}

// skipOrFail skips locally but fails in CI, where the Secret Service must
// be there (.ci/run starts one).
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s", why)
	}
	t.Skip(why)
}

// TestIntegrationRealSecretService stores, reads and deletes a password and
// a session in the real Secret Service. Run it like CI does:
//
//	XDG_DATA_HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d) dbus-run-session -- sh -c \
//	  'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && go test -run Integration ./credstore/'
func TestIntegrationRealSecretService(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		skipOrFail(t, "no D-Bus session (DBUS_SESSION_BUS_ADDRESS is unset); run the tests under "+
			"dbus-run-session with an unlocked gnome-keyring-daemon, as .ci/run does")
	}
	out, code := runRole(t, roleIntegration)
	switch code {
	case 0:
		t.Logf("real Secret Service: %s", strings.TrimSpace(out))
	case exitUnavailable:
		skipOrFail(t, "no usable Secret Service on this D-Bus session: "+strings.TrimSpace(out))
	default:
		t.Fatalf("integration child failed (exit %d):\n%s", code, out)
	}
}

// TestRealKeychainWithoutBusFallsBack uses the real go-keyring with a bus
// address that does not exist (as in a container): the lookup must say so
// in plain words and take the password from the next source.
func TestRealKeychainWithoutBusFallsBack(t *testing.T) {
	bus := "unix:path=" + filepath.Join(t.TempDir(), "no-such-bus")
	out, code := runRole(t, roleNoBus, "DBUS_SESSION_BUS_ADDRESS="+bus, "ICLOUDMON_TEST_PW=from-env")
	if code != 0 {
		t.Fatalf("child failed (exit %d):\n%s", code, out)
	}
}

func childNoBus() error {
	pw, err := LookupPassword(context.Background(), PasswordOptions{
		Account: "alice", AppleID: "alice@example.com", Keyring: true, Env: "ICLOUDMON_TEST_PW",
	})
	if err != nil {
		return fmt.Errorf("lookup: %w", err)
	}
	want := "keychain: no OS keychain available (no D-Bus session); use a secret file or env instead"
	if pw.Source != "env ICLOUDMON_TEST_PW" || pw.Value.Reveal() != "from-env" ||
		len(pw.Notes) != 1 || pw.Notes[0] != want {
		return fmt.Errorf("got source %q notes %q; want env and the note %q", pw.Source, pw.Notes, want)
	}
	return nil
}

func childIntegration() error {
	ctx := context.Background()
	// Probe first so that "no Secret Service" is told apart from a failure.
	if _, err := defaultKeychain.get(ctx, Service, "icloudmon-probe@example.invalid"); !errors.Is(err, ErrNotFound) {
		if errors.Is(err, ErrKeychainUnavailable) {
			return err
		}
		return fmt.Errorf("probe: %w", err)
	}
	if err := childPasswordRoundTrip(ctx); err != nil {
		return err
	}
	return childSessionRoundTrip(ctx)
}

func randomID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func childPasswordRoundTrip(ctx context.Context) error {
	id := "it-" + randomID() + "@example.invalid"
	opts := PasswordOptions{Account: "it", AppleID: id, Keyring: true}
	for _, pw := range []string{"first pw", "second pw ünïcode"} { // the second replaces the first
		if err := SetPassword(ctx, id, secret.New(pw)); err != nil {
			return fmt.Errorf("SetPassword: %w", err)
		}
		got, err := LookupPassword(ctx, opts)
		if err != nil || got.Source != "keychain" || got.Value.Reveal() != pw {
			return fmt.Errorf("LookupPassword after Set: source %q, match %v, err %w", got.Source, got.Value.Reveal() == pw, err)
		}
	}
	if err := DeletePassword(ctx, id); err != nil {
		return fmt.Errorf("DeletePassword: %w", err)
	}
	if _, err := LookupPassword(ctx, opts); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrKeychainUnavailable) {
		return fmt.Errorf("LookupPassword after Delete: %w, want not found", err)
	}
	if err := DeletePassword(ctx, id); !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("second DeletePassword: %w, want ErrNotFound", err)
	}
	return nil
}

func childSessionRoundTrip(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "credstore-it")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	blob := make([]byte, 16<<10) // cookies and tokens: binary, a few KiB
	rand.Read(blob)
	account := "it-" + randomID()
	for _, mode := range []Mode{ModeKeychain, ModeAuto} {
		s, err := NewSessionStore(dir, mode, nil)
		if err != nil {
			return err
		}
		if err := sessionRoundTrip(ctx, s, account, blob); err != nil {
			return fmt.Errorf("mode %s: %w", mode, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "sessions", account+".json")); !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("mode %s wrote a session file although the keychain works", mode)
		}
	}
	return nil
}

func sessionRoundTrip(ctx context.Context, s *SessionStore, account string, blob []byte) error {
	if err := s.Save(ctx, account, blob); err != nil {
		return fmt.Errorf("Save: %w", err)
	}
	got, err := s.Load(ctx, account)
	if err != nil || !bytes.Equal(got, blob) {
		return fmt.Errorf("Load: equal %v, err %w", bytes.Equal(got, blob), err)
	}
	if err := s.Delete(ctx, account); err != nil {
		return fmt.Errorf("Delete: %w", err)
	}
	if _, err := s.Load(ctx, account); !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("Load after Delete: %w, want ErrNotFound", err)
	}
	return nil
}
