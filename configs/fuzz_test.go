package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Load as a configuration file: it must
// never panic, every failure must be a non-empty error, and whatever loads
// must render back to YAML.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"good.yml", "bad-duration.yml", "bad-duplicate-key.yml", "bad-layout.yml", "bad-no-accounts.yml"} {
		if data, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(data)
		}
	}
	if data, err := os.ReadFile("icloudmon.example.yml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("interval: 10m\naccounts:\n  - name: a\n    apple_id: a@example.com\n"))
	f.Add([]byte("checks: {grace: 7d, folder_shrink: 2}\n"))
	f.Add([]byte("accounts: [{name: x, folders: [{path: /p, ignore: ['[']}]}]\n"))
	f.Add([]byte("&a [*a, *a]\n"))
	f.Add([]byte("\xff\xfe\x00"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		t.Setenv(ConfigEnv, "")
		t.Setenv(AccountsEnv, "")
		path := filepath.Join(dir, "fuzz.yml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path, nil)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("empty error for %q", data)
			}
			return
		}
		if cfg == nil {
			t.Fatal("nil config without an error")
		}
		if verr := cfg.Validate(); verr != nil && strings.TrimSpace(verr.Error()) == "" {
			t.Fatalf("empty validation error for %q", data)
		}
		if _, err := cfg.YAML(); err != nil {
			t.Fatalf("a loaded configuration does not render: %v", err)
		}
	})
}
