package credstore

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const (
	roleHoldSignIns = "hold-sign-in-lock"
	holdDirEnv      = "ICLOUDMON_CREDSTORE_HOLD_DIR"
)

// childHoldSignIns takes the sign-in lock of account "a" in the data dir
// named by the environment, says so and waits to be killed.
func childHoldSignIns() error {
	s := NewSignIns(os.Getenv(holdDirEnv), "a")
	if _, err := s.Lock(context.Background()); err != nil {
		return err
	}
	if err := s.Write([]byte(`{"held":true}`)); err != nil {
		return err
	}
	os.Stdout.WriteString("LOCKED\n")
	time.Sleep(time.Minute)
	return errors.New("not killed")
}

// TestSignInsLockHoldsAcrossProcesses: while another process holds an
// account's sign-in lock, Lock waits (here until its context ends); when
// that process dies without unlocking (SIGKILL, as on a crash or an OOM
// kill), the kernel releases the lock and the next Lock gets it at once.
func TestSignInsLockHoldsAcrossProcesses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the child is killed with a Unix signal")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0]) //nolint:gosec // G204: the test binary itself
	cmd.Env = append(os.Environ(), childEnv+"="+roleHoldSignIns, holdDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "LOCKED" {
		t.Fatalf("child said %q (%v), want LOCKED", line, err)
	}

	s := NewSignIns(dir, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if unlock, err := s.Lock(ctx); err == nil {
		unlock()
		t.Fatal("Lock succeeded while another process held the lock")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock: %v, want a deadline error", err)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	unlock, err := s.Lock(ctx2)
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	defer unlock()
	b, err := s.Read()
	if err != nil || string(b) != `{"held":true}` {
		t.Errorf("Read = %q, %v; want what the killed process wrote", b, err)
	}
}

// TestSignInsLockInProcess: two SignIns of one account in one process
// exclude each other too (tests and the web re-auth page build a second
// client), and unlock lets the other one in.
func TestSignInsLockInProcess(t *testing.T) {
	dir := t.TempDir()
	a, b := NewSignIns(dir, "a"), NewSignIns(dir, "a")
	unlock, err := a.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		u, err := b.Lock(context.Background())
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second Lock returned (%v) while the first was held", err)
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("second Lock: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("second Lock still waiting after unlock")
	}
	// Another account has its own lock.
	other, err := NewSignIns(dir, "b").Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	other()
}

// TestSignInsRecordFiles: the record is absent (nil) at first, written
// atomically with mode 0600 in the 0700 sessions directory, and bad
// account names or an unwritable data_dir give errors, not a lock.
func TestSignInsRecordFiles(t *testing.T) {
	dir := t.TempDir()
	s := NewSignIns(dir, "a")
	unlock, err := s.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if b, err := s.Read(); b != nil || err != nil {
		t.Fatalf("Read before any Write = %q, %v; want nil, nil", b, err)
	}
	for _, v := range []string{`{"v":1}`, `{"v":1,"srp_attempts":["2026-12-06T20:00:00Z"]}`} {
		if err := s.Write([]byte(v)); err != nil {
			t.Fatal(err)
		}
		if b, err := s.Read(); string(b) != v || err != nil {
			t.Fatalf("Read = %q, %v; want %q", b, err, v)
		}
	}
	for _, p := range []string{filepath.Join(dir, "sessions", "a.signins.json"), filepath.Join(dir, "sessions", "a.signins.lock")} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", p, fi.Mode().Perm())
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "sessions")); len(entries) != 2 {
		t.Errorf("sessions dir holds %d entries, want the record and the lock (no temp files)", len(entries))
	}
	if _, err := NewSignIns(dir, "../x").Lock(context.Background()); err == nil {
		t.Error("Lock accepted an account name that leaves the sessions directory")
	}
	blocked := t.TempDir() // "sessions" is a file: nothing can be created there, even as root
	if err := os.WriteFile(filepath.Join(blocked, "sessions"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSignIns(blocked, "a").Lock(context.Background()); err == nil {
		t.Error("Lock succeeded where the record cannot be written")
	}
}
