//go:build linux

package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/icloudmon/icloudmon/internal/syncbuf"
)

// openPTY returns the master and the terminal side of a new pseudo-terminal.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here (%v); the terminal path of login is not tested", err)
	}
	t.Cleanup(func() { _ = master.Close() })
	fd := int(master.Fd()) //nolint:gosec // G115: file descriptors fit in an int
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening the pty: %v", err)
	}
	t.Cleanup(func() { _ = tty.Close() })
	return master, tty
}

// waitFor waits until the command has printed want n times.
func waitFor(t *testing.T, out *syncbuf.Buffer, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(out.String(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %q (%d times); output so far:\n%s", want, n, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// On a real terminal login asks for the password without echo, then for
// the code, and allows another try after a wrong code.
func TestLoginOnTerminal(t *testing.T) {
	e := newLoginEnv(t, twoFA, "") // no stored password: login asks
	master, tty := openPTY(t)
	var stdout, stderr, shown syncbuf.Buffer
	go func() { // the terminal's echo; ends when the pty is closed
		buf := make([]byte, 1024)
		for {
			n, err := master.Read(buf)
			_, _ = shown.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	done := make(chan int, 1)
	go func() {
		done <- e.cli(tty, &stdout, &stderr).run([]string{"--config", e.config, "login"})
	}()
	type input struct{ prompt, line string }
	for i, in := range []input{{"Apple ID password of a: ", fakePassword},
		{"Verification code (6 digits): ", ""}, {"Verification code (6 digits): ", ""}} {
		waitFor(t, &stderr, in.prompt, map[int]int{0: 1, 1: 1, 2: 2}[i])
		line := in.line
		switch i {
		case 1:
			line = notThe(e.fake.LastCode())
		case 2:
			line = e.fake.LastCode()
		}
		if _, err := master.WriteString(line + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("login on a terminal exited %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("login on a terminal did not finish")
	}
	if !strings.Contains(stderr.String(), "Try again (2 left)") {
		t.Errorf("no second try after a wrong code:\n%s", stderr.String())
	}
	// What the terminal showed: the codes echo (proving the echo is
	// captured), the password must not.
	waitFor(t, &shown, e.fake.LastCode(), 1)
	if strings.Contains(shown.String(), fakePassword) {
		t.Errorf("the terminal echoed the password: %q", shown.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), fakePassword) {
		t.Error("login printed the password")
	}
}
