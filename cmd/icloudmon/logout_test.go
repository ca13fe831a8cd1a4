package main

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestLogoutKeepsTrustForgetTrustDropsIt(t *testing.T) {
	e := newLoginEnv(t, twoFA, fakePassword)
	if code, _, errOut := e.run(t, stdinLines(e.fake.LastCode), "login"); code != exitOK {
		t.Fatalf("login exited %d: %s", code, errOut)
	}
	code, out, errOut := e.run(t, strings.NewReader(""), "logout", "--account", "a")
	if code != exitOK || !strings.Contains(out, "trust is kept") {
		t.Fatalf("logout: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if got := e.fake.Count("/setup/ws/1/logout"); got != 1 {
		t.Errorf("Apple logout calls: %d, want 1", got)
	}
	if _, err := os.Stat(e.sessionFile()); err != nil {
		t.Fatalf("logout without --forget-trust deleted the session file: %v", err)
	}
	// Trust kept: login needs no code.
	requests := e.count(http.MethodPut, "/verify/trusteddevice/securitycode")
	if code, _, errOut := e.run(t, strings.NewReader(""), "login"); code != exitOK {
		t.Fatalf("login after logout exited %d: %s", code, errOut)
	}
	if got := e.count(http.MethodPut, "/verify/trusteddevice/securitycode"); got != requests {
		t.Errorf("login after logout asked for a code")
	}

	code, out, errOut = e.run(t, strings.NewReader(""), "logout", "--forget-trust")
	if code != exitOK || !strings.Contains(out, "Deleted") {
		t.Fatalf("logout --forget-trust: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(e.sessionFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("logout --forget-trust left the session file: %v", err)
	}
	// Without trust, Apple asks for a code again (none on stdin: exit 3).
	code, _, errOut = e.run(t, strings.NewReader(""), "login")
	if code != exitUnknown || !strings.Contains(errOut, "no verification code") {
		t.Errorf("login after --forget-trust without a code: exit %d, stderr %q", code, errOut)
	}
	if got := e.count(http.MethodPut, "/verify/trusteddevice/securitycode"); got != requests+1 {
		t.Errorf("login after --forget-trust did not ask for a code (%d requests)", got-requests)
	}
}

func TestLogoutWithoutSession(t *testing.T) {
	e := newLoginEnv(t, twoFA, fakePassword)
	code, out, _ := e.run(t, strings.NewReader(""), "logout")
	if code != exitOK || !strings.Contains(out, "nothing to do") {
		t.Errorf("logout without a session: exit %d, stdout %q", code, out)
	}
	if got := len(e.fake.Requests()); got != 0 {
		t.Errorf("logout without a session contacted Apple (%d requests)", got)
	}
}

func TestLogoutAppleUnreachableKeepsSession(t *testing.T) {
	e := newLoginEnv(t, twoFA, fakePassword)
	if code, _, errOut := e.run(t, stdinLines(e.fake.LastCode), "login"); code != exitOK {
		t.Fatalf("login exited %d: %s", code, errOut)
	}
	before, err := os.ReadFile(e.sessionFile())
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Close()
	code, _, errOut := e.run(t, strings.NewReader(""), "logout")
	if code != exitUnknown || !strings.Contains(errOut, "--forget-trust") {
		t.Errorf("logout with Apple unreachable: exit %d, stderr %q; want 3 and a hint", code, errOut)
	}
	after, err := os.ReadFile(e.sessionFile())
	if err != nil || string(after) != string(before) {
		t.Errorf("a failed logout changed the saved session (err %v)", err)
	}
}
