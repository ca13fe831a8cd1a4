package metrics_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Paths of the shipped files this package's tests keep honest.
var (
	alertsFile     = filepath.Join("..", "configs", "prometheus", "alerts.yml")
	alertsTestFile = filepath.Join("..", "configs", "prometheus", "alerts_test.yml")
	dashboardFile  = filepath.Join("..", "configs", "grafana", "icloudmon.json")
	runbookFile    = filepath.Join("..", "docs", "runbook.md")
	metricsDocFile = filepath.Join("..", "docs", "metrics.md")
)

// promtool returns the path of promtool. Without it the test is skipped
// locally and fails in CI (CI=true), where .ci/run installs the Debian
// package prometheus.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	msg := "promtool not found in PATH; install it with `apt-get install prometheus` (Debian) to run this test"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// runPromtool runs promtool with args and fails the test with its output
// when it exits non-zero.
func runPromtool(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), promtool(t), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var metricNameRE = regexp.MustCompile(`icloudmon_[a-z_]+`)

// metricNamesIn returns the icloudmon_* names used in the PromQL text s.
func metricNamesIn(s string) []string {
	seen := map[string]bool{}
	for _, n := range metricNameRE.FindAllString(s, -1) {
		seen[n] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// checkNamesDefined fails for every icloudmon_* name in expr that the
// exporter does not define.
func checkNamesDefined(t *testing.T, where, expr string, defined map[string]bool) int {
	t.Helper()
	names := metricNamesIn(expr)
	for _, n := range names {
		if !defined[n] {
			t.Errorf("%s uses %s, which the exporter does not define", where, n)
		}
	}
	return len(names)
}
