package metrics_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type ruleTestFile struct {
	Tests []struct {
		InputSeries []struct {
			Series string `yaml:"series"`
		} `yaml:"input_series"`
		AlertRuleTest []struct {
			EvalTime  string `yaml:"eval_time"`
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels map[string]string `yaml:"exp_labels"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func alertRules(t *testing.T) []rule {
	t.Helper()
	var f ruleFile
	readYAML(t, alertsFile, &f)
	var rules []rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatalf("%s has no rules", alertsFile)
	}
	return rules
}

func TestPromtoolCheckRules(t *testing.T) {
	out := runPromtool(t, "check", "rules", alertsFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check rules did not report SUCCESS:\n%s", out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	t.Parallel() // evaluates 13 hours of rules: let the fast tests run meanwhile
	out := runPromtool(t, "test", "rules", alertsTestFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules did not report SUCCESS:\n%s", out)
	}
}

func TestAlertRulesUseOnlyExportedMetrics(t *testing.T) {
	defined := definedNames(t)
	used := 0
	for _, r := range alertRules(t) {
		used += checkNamesDefined(t, "alert "+r.Alert, r.Expr, defined)
	}
	if used == 0 {
		t.Fatal("no icloudmon_* metric found in any alert expression")
	}
	var tf ruleTestFile
	readYAML(t, alertsTestFile, &tf)
	for _, tc := range tf.Tests {
		for _, s := range tc.InputSeries {
			checkNamesDefined(t, "test series "+s.Series, s.Series, defined)
		}
	}
}

const runbookPrefix = "https://github.com/icloudmon/icloudmon/blob/main/docs/runbook.md#"

func TestAlertRulesAreActionable(t *testing.T) {
	anchors := markdownAnchors(t, runbookFile)
	for _, r := range alertRules(t) {
		where := fmt.Sprintf("alert %s (%s)", r.Alert, r.Labels["severity"])
		if !strings.HasPrefix(r.Alert, "Icloudmon") {
			t.Errorf("%s: name should start with Icloudmon", where)
		}
		if s := r.Labels["severity"]; s != "warning" && s != "critical" {
			t.Errorf("%s: severity label %q, want warning or critical", where, s)
		}
		if d, err := time.ParseDuration(r.For); err != nil || d < 10*time.Minute {
			t.Errorf("%s: for %q, want at least 10m to avoid flapping", where, r.For)
		}
		for _, k := range []string{"summary", "description", "runbook_url"} {
			if strings.TrimSpace(r.Annotations[k]) == "" {
				t.Errorf("%s: annotation %s is empty", where, k)
			}
		}
		want := runbookPrefix + strings.ToLower(r.Alert)
		if r.Annotations["runbook_url"] != want {
			t.Errorf("%s: runbook_url %q, want %q", where, r.Annotations["runbook_url"], want)
		}
		if !anchors[strings.ToLower(r.Alert)] {
			t.Errorf("%s: %s has no heading for anchor #%s", where, runbookFile, strings.ToLower(r.Alert))
		}
	}
}

// TestEveryAlertIsTestedFiringAndNotFiring checks that alerts_test.yml has,
// for every rule (alert name and severity), one evaluation where it fires
// and one where it must not.
func TestEveryAlertIsTestedFiringAndNotFiring(t *testing.T) {
	var tf ruleTestFile
	readYAML(t, alertsTestFile, &tf)
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tf.Tests {
		for _, e := range tc.AlertRuleTest {
			seen := map[string]bool{}
			for _, a := range e.ExpAlerts {
				seen[a.ExpLabels["severity"]] = true
			}
			for _, sev := range []string{"warning", "critical"} {
				key := e.Alertname + "/" + sev
				if seen[sev] {
					fires[key] = true
				} else {
					silent[key] = true
				}
			}
		}
	}
	for _, r := range alertRules(t) {
		key := r.Alert + "/" + r.Labels["severity"]
		if !fires[key] {
			t.Errorf("%s: no test case where it fires", key)
		}
		if !silent[key] {
			t.Errorf("%s: no test case where it must stay silent", key)
		}
	}
}

func TestDocsCoverEveryMetricAndAlert(t *testing.T) {
	b, err := os.ReadFile(metricsDocFile)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for n := range definedNames(t) {
		if !strings.Contains(doc, "`"+n+"`") {
			t.Errorf("%s does not document metric `%s`", metricsDocFile, n)
		}
	}
	for _, r := range alertRules(t) {
		if !strings.Contains(doc, r.Alert) {
			t.Errorf("%s does not document alert %s", metricsDocFile, r.Alert)
		}
	}
}

var headingRE = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*$`)

// markdownAnchors returns the GitHub anchors of the headings in path
// (lower-cased, spaces to dashes, punctuation dropped).
func markdownAnchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range headingRE.FindAllStringSubmatch(string(b), -1) {
		anchors[githubAnchor(m[1])] = true
	}
	return anchors
}

func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}
