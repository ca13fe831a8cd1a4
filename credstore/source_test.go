package credstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lookupFileWithin looks a password up from file alone, failing the test
// if that takes longer than a second (a FIFO used to hang it).
func lookupFileWithin(t *testing.T, file string) (Password, error) {
	t.Helper()
	type res struct {
		pw  Password
		err error
	}
	done := make(chan res, 1)
	go func() {
		pw, err := lookupPassword(context.Background(), nil, PasswordOptions{Account: "alice", File: file})
		done <- res{pw, err}
	}()
	select {
	case r := <-done:
		return r.pw, r.err
	case <-time.After(5 * time.Second):
		t.Fatalf("looking up %s blocks", file)
	}
	return Password{}, nil
}

func TestPasswordFileFailuresNamed(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, want string
		notFound         bool
	}{
		{"missing", filepath.Join(dir, "nope"), "the file does not exist", true},
		{"empty", empty, "the file is empty", true},
		{"fifo", fifo, "not a regular file (a named pipe, FIFO)", false},
		{"device", "/dev/zero", "not a regular file (a device)", false},
		{"directory", dir, "not a regular file (a directory)", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lookupFileWithin(t, tc.file)
			var npe *NoPasswordError
			if !errors.As(err, &npe) {
				t.Fatalf("err = %v, want a *NoPasswordError", err)
			}
			if r := npe.Reason(); !strings.Contains(r, "file "+tc.file+": ") || !strings.Contains(r, tc.want) {
				t.Errorf("reason %q does not name the file and %q", r, tc.want)
			}
			if got := errors.Is(err, ErrNotFound); got != true {
				t.Errorf("errors.Is(ErrNotFound) = %v", got) // NoPasswordError always matches
			}
			if tc.notFound != errors.Is(npe.Tried[0], ErrNotFound) {
				t.Errorf("source error %v: ErrNotFound = %v, want %v", npe.Tried[0], !tc.notFound, tc.notFound)
			}
		})
	}
}

func TestPasswordFixWhereItRuns(t *testing.T) {
	old := inContainer
	t.Cleanup(func() { inContainer = old })
	missing := filepath.Join(t.TempDir(), "nope")
	for _, in := range []bool{true, false} {
		inContainer = func() bool { return in }
		_, err := lookupFileWithin(t, missing)
		msg := err.Error()
		if in && (!strings.Contains(msg, "Docker secret") || strings.Contains(msg, "password set")) {
			t.Errorf("in a container: %q, want the Docker secret fix only", msg)
		}
		if !in && (!strings.Contains(msg, "icloudmon password set --account alice") || strings.Contains(msg, "Docker secret")) {
			t.Errorf("outside a container: %q, want the keychain fix", msg)
		}
	}
}
