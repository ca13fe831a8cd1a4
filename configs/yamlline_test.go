package configs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestYAMLSyntaxErrorLine: a syntax error is reported on its own line,
// not on the line where the enclosing mapping began (yaml.v3 says "line 1"
// for a tab on line 4 of a top-level mapping).
func TestYAMLSyntaxErrorLine(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string
		line int
	}{
		"tab on line 4":          {"data_dir: /tmp/x\nlisten: \":9877\"\ninterval: 1h\n\tbad: tab\n", 4},
		"open flow on line 4":    {"data_dir: /tmp/x\nlisten: \":9877\"\ninterval: 1h\nfoo: [1, 2\n", 4},
		"bad indent on line 5":   {"data_dir: /tmp/x\nlisten: \":9877\"\naccounts:\n  - name: a\n   apple_id: b\n", 5},
		"unclosed quote line 2":  {"data_dir: /tmp/x\nlisten: \":9877\n", 2},
		"multi-line flow is ok":  {"foo: [1,\n  2]\nlisten: \":9877\"\n\tbad: tab\n", 4},
		"error on the first one": {"\tdata_dir: /tmp/x\n", 1},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path, nil)
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("err = %v, want problems", err)
			}
			if ps[0].Line != tc.line {
				t.Errorf("reported on line %d, want %d: %v", ps[0].Line, tc.line, ps[0])
			}
		})
	}
}
