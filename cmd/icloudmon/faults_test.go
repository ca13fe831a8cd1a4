package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/configs"
)

// demoConfigWith loads the demo configuration, lets edit change it and
// writes it back.
func demoConfigWith(t *testing.T, edit func(*configs.Config)) string {
	t.Helper()
	_, path := startDemoConfig(t, "healthy")
	cfg, err := configs.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	out, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVerifyDataDirNotWritable: a data_dir that cannot be created (its
// parent is a file — a stand-in for a read-only or full volume that works
// as root too) is exit 3 with a message naming data_dir and what to do.
func TestVerifyDataDirNotWritable(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	blocker := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := demoConfigWith(t, func(c *configs.Config) { c.DataDir = filepath.Join(blocker, "data") })
	code, out, errOut := runCLI(t, "", "verify", "--config", path)
	if code != exitUnknown {
		t.Fatalf("verify with an unusable data_dir exit %d, want %d\n%s\n%s", code, exitUnknown, out, errOut)
	}
	if !strings.Contains(errOut, "data_dir") || !strings.Contains(errOut, "writable") {
		t.Errorf("the error does not name data_dir and the remedy: %q", errOut)
	}
	if strings.Contains(out, ": OK") {
		t.Errorf("verify printed an ok report: %q", out)
	}
}

// TestVerifyDataDirReadOnly: as a non-root user, a read-only data_dir
// fails clearly (root ignores permissions; the test above covers it).
func TestVerifyDataDirReadOnly(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Log("running as root: directory permissions are not enforced, so verify must simply work")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dataDir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dataDir, 0o700) })
	path := demoConfigWith(t, func(c *configs.Config) { c.DataDir = dataDir })
	code, out, errOut := runCLI(t, "", "verify", "--config", path)
	if os.Geteuid() == 0 {
		if code != exitOK {
			t.Errorf("as root the data_dir is writable; verify exit %d: %s", code, errOut)
		}
		return
	}
	if code != exitUnknown || errOut == "" {
		t.Errorf("verify with a read-only data_dir exit %d, want %d with an error\n%s\n%s", code, exitUnknown, out, errOut)
	}
}

// TestVerifyCorruptDatabase: verify (a one-shot command) refuses a damaged
// database with exit 3, says how to recover, and leaves the file alone;
// the daemon's move-aside is TestOpenStoreRepairing's subject.
func TestVerifyCorruptDatabase(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	garbage := bytes.Repeat([]byte("this is not an SQLite database "), 200)
	dbPath := filepath.Join(dataDir, "icloudmon.db")
	if err := os.WriteFile(dbPath, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	path := demoConfigWith(t, func(c *configs.Config) { c.DataDir = dataDir })
	code, out, errOut := runCLI(t, "", "verify", "--config", path)
	if code != exitUnknown {
		t.Fatalf("verify with a corrupt database exit %d, want %d\n%s\n%s", code, exitUnknown, out, errOut)
	}
	if !strings.Contains(errOut, "damaged") || !strings.Contains(errOut, "move it aside") {
		t.Errorf("the error does not explain the corruption and the remedy: %q", errOut)
	}
	if got, _ := os.ReadFile(dbPath); !bytes.Equal(got, garbage) {
		t.Error("verify changed the corrupt database file")
	}
}
