package credstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// The error values below are the ones go-keyring v0.2.8 really returns on
// Linux without a Secret Service (seen by calling keyring.Get with
// CGO_ENABLED=0): none of them is keyring.ErrNotFound.
func TestClassifyKeyringErrors(t *testing.T) {
	const noBusMsg = "no OS keychain available (no D-Bus session); use a secret file or env instead"
	cases := []struct {
		name        string
		err         error
		wantNotFnd  bool
		wantMessage string // substring
	}{
		{"not found", keyring.ErrNotFound, true, "not found"},
		{"no dbus-launch (container)", &exec.Error{Name: "dbus-launch", Err: exec.ErrNotFound}, false, noBusMsg},
		{"bus socket missing", &net.OpError{Op: "dial", Net: "unix", Err: syscall.ENOENT}, false, noBusMsg},
		{"no address", errors.New("dbus: couldn't determine address of session bus"), false, noBusMsg},
		{"no secret service", errors.New("The name org.freedesktop.secrets was not provided by any .service files"),
			false, "no Secret Service"},
		{"locked", errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"),
			false, "the OS keychain is locked"},
		{"too big", keyring.ErrSetDataTooBig, false, "too big"},
		{"other", errors.New("org.freedesktop.DBus.Error.NoReply"), false, "the OS keychain failed (org.freedesktop.DBus.Error.NoReply)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := classify(tc.err, "")
			if got := errors.Is(err, ErrNotFound); got != tc.wantNotFnd {
				t.Errorf("errors.Is(ErrNotFound) = %v, want %v", got, tc.wantNotFnd)
			}
			if got := errors.Is(err, ErrKeychainUnavailable); got == tc.wantNotFnd {
				t.Errorf("errors.Is(ErrKeychainUnavailable) = %v, want %v", got, !tc.wantNotFnd)
			}
			if !strings.Contains(err.Error(), tc.wantMessage) {
				t.Errorf("message %q lacks %q", err, tc.wantMessage)
			}
		})
	}
	if classify(nil, "") != nil {
		t.Error("classify(nil) != nil")
	}
}

func TestClassifyRedactsTheSecret(t *testing.T) {
	err := classify(errors.New("cannot store hunter2-secret: quota"), "hunter2-secret")
	noLeak(t, "hunter2-secret", err.Error())
	if !strings.Contains(err.Error(), "<secret>") {
		t.Errorf("redacted message %q lacks <secret>", err)
	}
}

func TestKeychainTimeoutThenNextCallsFailFast(t *testing.T) {
	fb := &fakeBackend{block: make(chan struct{})}
	kc := &keychain{backend: fb, timeout: 50 * time.Millisecond}
	start := time.Now()
	_, err := kc.get(bg, Service, "a@example.com")
	if !errors.Is(err, ErrKeychainUnavailable) || !strings.Contains(err.Error(), "did not answer within 50ms") {
		t.Fatalf("hanging keychain: err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %v", d)
	}
	// While the first call still hangs, no new goroutine is started.
	_, err = kc.get(bg, Service, "a@example.com")
	if !errors.Is(err, errStillHung) || fb.count() != 1 {
		t.Fatalf("second call: err = %v, backend calls = %d; want errStillHung without a call", err, fb.count())
	}
	fb.mu.Lock()
	close(fb.block)
	fb.block = nil
	fb.mu.Unlock()
	waitFor(t, func() bool { kc.mu.Lock(); defer kc.mu.Unlock(); return !kc.hung })
	if _, err := kc.get(bg, Service, "a@example.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the hung call returned: err = %v, want ErrNotFound", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("condition not reached in 5s")
}

func TestKeychainHonoursCancel(t *testing.T) {
	fb := &fakeBackend{block: make(chan struct{})}
	defer close(fb.block)
	kc := &keychain{backend: fb, timeout: time.Minute}
	ctx, cancel := context.WithCancel(bg)
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := kc.get(ctx, Service, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestPrecheckStopsBeforeGoKeyring(t *testing.T) {
	fb := &fakeBackend{}
	kc := &keychain{backend: fb, timeout: time.Second, precheck: func() error { return errNoBus }}
	_, err := kc.get(bg, Service, "a")
	if !errors.Is(err, ErrKeychainUnavailable) || fb.count() != 0 {
		t.Errorf("err = %v, backend calls = %d; want unavailable and no call", err, fb.count())
	}
}

func TestBusReachable(t *testing.T) {
	empty := t.TempDir()
	withBus := t.TempDir()
	must(t, os.WriteFile(filepath.Join(withBus, "bus"), nil, 0o600))
	cases := []struct {
		addr, dir string
		want      bool
	}{
		{"unix:path=/run/user/1000/bus", empty, true},
		{"", withBus, true},
		{"", empty, false},
		{"autolaunch:", empty, false}, // would run dbus-launch
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q, bus file %v", tc.addr, tc.dir == withBus), func(t *testing.T) {
			if got := busReachable(tc.addr, tc.dir); got != tc.want {
				t.Errorf("busReachable(%q, %s) = %v, want %v", tc.addr, tc.dir, got, tc.want)
			}
		})
	}
}
