package configs

import (
	"errors"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseYAMLTypes covers the type errors of the file converter; each
// problem carries its line, and the value of a misplaced string is never
// quoted.
func TestParseYAMLTypes(t *testing.T) {
	tests := []struct {
		yaml string
		want string
	}{
		{"listen: {host: x}", "line 1: listen: expected a string, got a mapping"},
		{"web: [a]", "line 1: web: expected a mapping of keys, got a list"},
		{"interval: [1h]", "line 1: interval: expected a duration such as 6h or 7d, got a list"},
		{"interval: 1.5", "line 1: interval: 1.5 has no unit; write for example 1.5s or 1.5h"},
		{"checks: {storage_warning: lots}", "line 1: checks.storage_warning: expected a number, got a string"},
		{"checks: {upload_adaptive: 1}", "line 1: checks.upload_adaptive: expected true or false, got a number"},
		{"checks: {newest: true}", "line 1: checks.newest: expected a whole number, got true/false"},
		{"notify: {urls: [[x]]}", "line 1: notify.urls[0]: expected a string, got a list"},
		{"accounts:\n  - \n  - name: a", "line 2: accounts[0]: empty list item; remove it"},
		{"web: {token: {s3cr3t: 1}}", "line 1: web.token: expected a string, got a mapping"},
	}
	for _, tc := range tests {
		t.Run(tc.yaml, func(t *testing.T) {
			if got := parseYAML([]byte(tc.yaml), reflect.TypeFor[Config](), "").problems.Error(); got != tc.want {
				t.Errorf("%q: got %v, want %s", tc.yaml, got, tc.want)
			}
		})
	}
}

func TestParseYAMLAnchorsAndNulls(t *testing.T) {
	doc := "checks:\n  upload_warning: &w 2d\n  deleted_warning: *w\nweb:\ntls: ~\n"
	p := parseYAML([]byte(doc), reflect.TypeFor[Config](), "")
	if p.problems != nil || p.broken {
		t.Fatal(p.problems)
	}
	got := p.value
	want := map[string]any{"checks": map[string]any{"upload_warning": 2 * day, "deleted_warning": 2 * day}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoadSeveralEnvErrors(t *testing.T) {
	cleanEnv(t)
	t.Setenv("ICLOUDMON_CHECKS_NEWEST", "many")
	t.Setenv("ICLOUDMON_INTERVAL", "often")
	t.Setenv("ICLOUDMON_ACCOUNTS", "[{name: carol, apple_id: carol@example.com}]")
	_, err := Load("", nil)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
	want := `ICLOUDMON_INTERVAL: interval: "often" is not a duration; write for example 30m, 6h, 7d or 2w` + "\n" +
		`ICLOUDMON_CHECKS_NEWEST: checks.newest: expected a whole number, got "many"`
	if err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
