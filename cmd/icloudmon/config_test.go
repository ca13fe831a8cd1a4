package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/configs"
)

// configEnv runs the test from the configs directory (so that the messages
// name the files exactly as configs' own tests do) with every ICLOUDMON_*
// variable blanked.
func configEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "ICLOUDMON_") {
			t.Setenv(name, "")
		}
	}
	t.Chdir(filepath.Join("..", "..", "configs"))
}

func TestConfigCheckExample(t *testing.T) {
	configEnv(t)
	code, out, errOut := runCLI(t, "", "--config", "icloudmon.example.yml", "config", "check")
	if code != exitOK {
		t.Fatalf("config check of the example exited %d:\n%s", code, errOut)
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	for _, key := range []string{"data_dir", "accounts", "checks", "notify"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("effective configuration lacks %q:\n%s", key, out)
		}
	}
}

// wantLines returns the "# want: " header lines of a testdata file.
func wantLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() && strings.HasPrefix(sc.Text(), "#") {
		if w, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
			want = append(want, w)
		}
	}
	return want
}

func TestConfigCheckBadFiles(t *testing.T) {
	configEnv(t)
	files, err := filepath.Glob("testdata/bad-*.yml")
	if err != nil || len(files) < 40 {
		t.Fatalf("found %d bad files (%v); the test would prove little", len(files), err)
	}
	for _, f := range files {
		code, out, errOut := runCLI(t, "", "--config", f, "config", "check")
		if code != exitUnknown {
			t.Errorf("%s: exit %d, want %d", f, code, exitUnknown)
		}
		if out != "" {
			t.Errorf("%s: invalid config printed %q on stdout", f, out)
		}
		want := wantLines(t, f)
		if len(want) == 0 {
			t.Errorf("%s has no # want: line", f)
		}
		for _, w := range want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", f, w, errOut)
			}
		}
		if strings.Contains(errOut, "s3cr3t") || strings.Contains(errOut, "hunter2") {
			t.Errorf("%s: stderr shows a secret:\n%s", f, errOut)
		}
	}
}

func TestConfigCheckNeverPrintsSecrets(t *testing.T) {
	configEnv(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "hc")
	if err := os.WriteFile(secretFile, []byte("https://hc-ping.com/file-s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "c.yml")
	content := `web: {token: inline-s3cr3t-token}
accounts:
  - {name: alice, apple_id: alice@example.com}
notify:
  urls: ["ntfy://:tk_s3cr3t@ntfy.example.net/topic", "generic+https://hooks.example.net/s3cr3t"]
  healthchecks_url_file: hc
  webhook_url: https://hooks.example.net/path-s3cr3t
`
	if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ICLOUDMON_NOTIFY_UPTIME_KUMA_URL", "https://kuma.example.net/api/push/env-s3cr3t")
	code, out, errOut := runCLI(t, "", "--config", cfg, "config", "check", "--listen", "127.0.0.1:1234")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	if strings.Contains(out+errOut, "s3cr3t") {
		t.Errorf("config check printed a secret:\n%s%s", out, errOut)
	}
	for _, want := range []string{"token: <secret>", "urls: [<secret>, <secret>]", "healthchecks_url: <secret>",
		"uptime_kuma_url: <secret>", "webhook_url: <secret>", "listen: 127.0.0.1:1234"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestConfigCheckConfigEnv(t *testing.T) {
	configEnv(t)
	t.Setenv("ICLOUDMON_CONFIG", "testdata/bad-interval.yml")
	code, _, errOut := runCLI(t, "", "config", "check")
	if code != exitUnknown || !strings.Contains(errOut, "cannot load the configuration: testdata/bad-interval.yml:3: interval: 5m") {
		t.Errorf("ICLOUDMON_CONFIG not honoured: exit %d\n%s", code, errOut)
	}
}

func TestConfigCheckSeveralProblems(t *testing.T) {
	configEnv(t)
	_, _, errOut := runCLI(t, "", "--config", "testdata/bad-several.yml", "config", "check")
	if !strings.Contains(errOut, "(3 problems):\n  - testdata/bad-several.yml:5: interval:") {
		t.Errorf("problems are not listed one per line:\n%s", errOut)
	}
}

// TestChecksConfigIsPolicy: configs.Checks converts to checks.Policy as is
// (same fields) and both packages agree on the defaults.
func TestChecksConfigIsPolicy(t *testing.T) {
	if got, want := checks.Policy(configs.DefaultChecks()), checks.DefaultPolicy(); got != want {
		t.Errorf("configs.DefaultChecks() = %+v\nchecks.DefaultPolicy() = %+v", got, want)
	}
}
