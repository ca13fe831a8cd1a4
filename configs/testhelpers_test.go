package configs

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// cleanEnv blanks every ICLOUDMON_* variable of the test process, so that a
// developer's own settings cannot change the results (Load ignores empty
// variables).
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, EnvPrefix+"_") {
			t.Setenv(name, "")
		}
	}
}

// loadAndValidate returns the error text of Load, or of Validate when Load
// succeeded, or "" for a valid file.
func loadAndValidate(t *testing.T, path string) string {
	t.Helper()
	cfg, err := Load(path, nil)
	if err != nil {
		return err.Error()
	}
	if err := cfg.Validate(); err != nil {
		return err.Error()
	}
	return ""
}

// wantHeader returns the "# want: " lines at the top of a testdata file.
func wantHeader(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		if w, ok := strings.CutPrefix(line, "# want: "); ok {
			want = append(want, w)
		}
	}
	return strings.Join(want, "\n")
}
