package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// pwSourceEnv is a fake iCloud and a config whose account reads its
// password from file (a FIFO, a device, an empty or world-readable file).
func pwSourceEnv(t *testing.T, file string) *loginEnv {
	t.Helper()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	e := newLoginEnv(t, fakeicloud.Scenario{}, "")
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	writeLoginFile(t, e.config, strings.Replace(string(cfg), "env: ICLOUDMON_TEST_NO_SUCH_PASSWORD", "file: "+file, 1))
	return e
}

// runWithin runs the CLI and fails if it takes more than 20 s (a FIFO as
// password file used to hang it for good).
func runWithin(t *testing.T, e *loginEnv, args ...string) (int, string, string) {
	t.Helper()
	type res struct {
		code     int
		out, err string
	}
	done := make(chan res, 1)
	go func() {
		code, out, errOut := e.run(t, strings.NewReader(""), args...)
		done <- res{code, out, errOut}
	}()
	select {
	case r := <-done:
		return r.code, r.out, r.err
	case <-time.After(20 * time.Second):
		t.Fatalf("icloudmon %v hangs", args)
	}
	return 0, "", ""
}

func TestPasswordSourceFailuresExplained(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	writeLoginFile(t, empty, "")
	for _, tc := range []struct{ name, file, why string }{
		{"fifo", fifo, "named pipe"},
		{"device", "/dev/zero", "(a device)"},
		{"empty", empty, "the file is empty"},
		{"missing", filepath.Join(dir, "nope"), "the file does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := pwSourceEnv(t, tc.file)
			code, out, errOut := runWithin(t, e, "config", "check")
			if code != exitOK {
				t.Fatalf("config check: exit %d\n%s", code, errOut)
			}
			if !strings.Contains(out, "# password of account a: none usable: file "+tc.file+": ") ||
				!strings.Contains(out, tc.why) || !strings.Contains(out, "to fix:") {
				t.Errorf("config check does not explain the %s password file:\n%s", tc.name, out)
			}
			// verify: no session, so a sign-in needs the password; auth
			// names the source, why, and the fix.
			code, out, errOut = runWithin(t, e, "verify")
			if code != exitCritical {
				t.Errorf("verify: exit %d, want %d\n%s\n%s", code, exitCritical, out, errOut)
			}
			if !strings.Contains(out, "file "+tc.file) || !strings.Contains(out, tc.why) ||
				strings.Contains(out, "no password is stored") {
				t.Errorf("verify does not name the password file and why:\n%s", out)
			}
			if !strings.Contains(errOut, "no usable password") || !strings.Contains(errOut, tc.why) {
				t.Errorf("the log does not say why:\n%s", errOut)
			}
			// The fix is the one that works where the test runs.
			fix := "icloudmon password set --account a"
			if credstore.InContainer() {
				fix = "Docker secret"
			}
			if !strings.Contains(strings.Join(strings.Fields(out), " "), fix) {
				t.Errorf("verify does not give the fix %q:\n%s", fix, out)
			}
		})
	}
}

func TestWorldReadablePasswordFileWarned(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte(fakePassword+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(pw, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	e := pwSourceEnv(t, pw)
	code, out, errOut := runWithin(t, e, "config", "check")
	if code != exitOK || !strings.Contains(out, "found (file "+pw+")") ||
		!strings.Contains(out, "# warning: file "+pw+": the file is readable by every user (mode 0644); run: chmod 600 "+pw) {
		t.Errorf("config check: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out, fakePassword) {
		t.Fatal("config check shows the password")
	}
	_, out, errOut = runWithin(t, e, "verify")
	if !strings.Contains(errOut, "readable by every user") || strings.Contains(out+errOut, fakePassword) {
		t.Errorf("verify does not warn about the mode (or shows the password):\n%s\n%s", out, errOut)
	}
}
