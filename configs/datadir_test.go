package configs

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDataDirOutsideAContainer: without data_dir, a host install uses a
// per-user directory instead of creating /data (as root, verify used to
// create /data on the host); a container keeps /data; a data_dir from the
// file, the environment or a flag always wins.
func TestDataDirOutsideAContainer(t *testing.T) {
	old := inContainer
	t.Cleanup(func() { inContainer = old })
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("ICLOUDMON_DATA_DIR", "")
	t.Setenv(ConfigEnv, "")
	t.Setenv("ICLOUDMON_ACCOUNTS", `[{name: a, apple_id: a@example.com, password: {env: X}, folders: [{path: /photos/a}]}]`)
	load := func(t *testing.T, yaml string) string {
		t.Helper()
		path := ""
		if yaml != "" {
			path = filepath.Join(t.TempDir(), "c.yml")
			if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cfg, err := Load(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.DataDir
	}
	inContainer = func() bool { return false }
	if got, want := load(t, ""), filepath.Join(home, ".local", "share", "icloudmon"); got != want {
		t.Errorf("host default %q, want %q", got, want)
	}
	xdg := t.TempDir()
	t.Setenv("XDG_DATA_HOME", xdg)
	if got, want := load(t, "listen: \":9877\"\n"), filepath.Join(xdg, "icloudmon"); got != want {
		t.Errorf("host default with XDG_DATA_HOME %q, want %q", got, want)
	}
	if got := load(t, "data_dir: /data\n"); got != "/data" {
		t.Errorf("data_dir: /data in the file gave %q", got)
	}
	t.Setenv("ICLOUDMON_DATA_DIR", "/srv/icloudmon")
	if got := load(t, ""); got != "/srv/icloudmon" {
		t.Errorf("ICLOUDMON_DATA_DIR gave %q", got)
	}
	t.Setenv("ICLOUDMON_DATA_DIR", "")
	inContainer = func() bool { return true }
	if got := load(t, ""); got != "/data" {
		t.Errorf("container default %q, want /data", got)
	}
}
