package metrics_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource *datasourceRef `json:"datasource"`
	Targets    []panelTarget  `json:"targets"`
	Panels     []panel        `json:"panels"`
	GridPos    map[string]int `json:"gridPos"`
	Extra      map[string]any `json:"-"`
}

type panelTarget struct {
	Expr       string         `json:"expr"`
	RefID      string         `json:"refId"`
	Datasource *datasourceRef `json:"datasource"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *datasourceRef  `json:"datasource"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s is not valid JSON: %v", dashboardFile, err)
	}
	return d
}

// allPanels flattens rows.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

const dsVar = "${datasource}"

func TestDashboardIsImportReady(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q: both must be set", d.UID, d.Title)
	}
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v := vars["datasource"]; v.Type != "datasource" || string(v.Query) != `"prometheus"` {
		t.Errorf("datasource variable = %+v, want type datasource with query prometheus", v)
	}
	for _, name := range []string{"account", "folder"} {
		v, ok := vars[name]
		if !ok || v.Type != "query" || v.Datasource == nil || v.Datasource.UID != dsVar || !v.Multi || !v.IncludeAll {
			t.Errorf("variable %s = %+v, want a multi-value query variable on %s with All", name, v, dsVar)
		}
	}
}

func TestDashboardPanels(t *testing.T) {
	d := loadDashboard(t)
	ids := map[int]bool{}
	queries := 0
	for _, p := range allPanels(d.Panels) {
		if ids[p.ID] {
			t.Errorf("panel %q: duplicate id %d", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != dsVar {
			t.Errorf("panel %q: datasource %+v, want uid %s (no hard-coded data source)", p.Title, p.Datasource, dsVar)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			queries++
			if tg.Datasource == nil || tg.Datasource.UID != dsVar {
				t.Errorf("panel %q query %s: datasource %+v, want uid %s", p.Title, tg.RefID, tg.Datasource, dsVar)
			}
		}
	}
	if queries < 15 {
		t.Errorf("dashboard has %d queries, want the panels of issue 8 (at least 15)", queries)
	}
}

func TestDashboardUsesOnlyExportedMetrics(t *testing.T) {
	defined := definedNames(t)
	d := loadDashboard(t)
	used := map[string]bool{}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			checkNamesDefined(t, fmt.Sprintf("panel %q", p.Title), tg.Expr, defined)
			for _, n := range metricNamesIn(tg.Expr) {
				used[n] = true
			}
		}
	}
	for _, v := range d.Templating.List {
		checkNamesDefined(t, "variable "+v.Name, string(v.Query), defined)
	}
	// The panels the issue asks for need these metrics.
	for _, n := range []string{
		"icloudmon_check_status", "icloudmon_icloud_newest_added_timestamp_seconds",
		"icloudmon_local_newest_timestamp_seconds", "icloudmon_missing_assets",
		"icloudmon_storage_used_bytes", "icloudmon_storage_total_bytes",
		"icloudmon_session_expiry_timestamp_seconds", "icloudmon_recently_deleted_next_purge_timestamp_seconds",
		"icloudmon_signin_attempts_total", "icloudmon_icloud_requests_total",
	} {
		if !used[n] {
			t.Errorf("no panel shows %s", n)
		}
	}
}

// grafanaVars are the dashboard and built-in variables with concrete
// values that keep the PromQL valid.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", "5m",
	"$__interval", "1m",
	"$__range", "1h",
	"${account}", "alice",
	"$account", "alice",
	"${folder}", "icloudpd",
	"$job", "icloudmon",
	"$instance", "nas:9877",
	"$folder", "icloudpd",
)

// TestDashboardQueriesParse writes every query as a recording rule and lets
// promtool check rules parse it.
func TestDashboardQueriesParse(t *testing.T) {
	d := loadDashboard(t)
	type recordRule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []recordRule
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			expr := grafanaVars.Replace(tg.Expr)
			if strings.Contains(expr, "$") {
				t.Errorf("panel %q: unknown variable left in %q", p.Title, expr)
			}
			rules = append(rules, recordRule{Record: fmt.Sprintf("dashboard:panel%d_%s", p.ID, tg.RefID), Expr: expr})
		}
	}
	file := map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}}
	b, err := yaml.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboard_rules.yml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out := runPromtool(t, "check", "rules", path)
	if want := fmt.Sprintf("SUCCESS: %d rules found", len(rules)); !strings.Contains(out, want) {
		t.Errorf("promtool check rules: want %q in\n%s", want, out)
	}
}

var selectorRE = regexp.MustCompile(`icloudmon_[a-z_]+(\{[^}]*\})?`)

// Issue 22 item 6: several agents (six with the same account name) stay
// apart: job and instance variables, every query filtered by them, and
// every aggregation keeps instance.
func TestDashboardSeparatesAgents(t *testing.T) {
	d := loadDashboard(t)
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	for _, name := range []string{"job", "instance"} {
		if v, ok := vars[name]; !ok || v.Type != "query" || !v.Multi || !v.IncludeAll {
			t.Errorf("variable %s = %+v, want a multi-value query variable with All", name, v)
		}
	}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			for _, sel := range selectorRE.FindAllString(tg.Expr, -1) {
				if !strings.Contains(sel, `job=~"$job"`) || !strings.Contains(sel, `instance=~"$instance"`) {
					t.Errorf("panel %q: %s is not filtered by $job and $instance", p.Title, sel)
				}
			}
			for _, by := range regexp.MustCompile(`by \(([^)]*)\)`).FindAllStringSubmatch(tg.Expr, -1) {
				if !strings.Contains(by[1], "instance") {
					t.Errorf("panel %q: by (%s) merges agents; keep instance", p.Title, by[1])
				}
			}
		}
	}
}

// Issue 22 items 2 and 6: panels say something in the normal state and
// count first events.
func TestDashboardNormalStateAndFirstEvents(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Panels []struct {
			Title       string `json:"title"`
			FieldConfig struct {
				Defaults struct {
					NoValue string `json:"noValue"`
				} `json:"defaults"`
			} `json:"fieldConfig"`
			Targets []panelTarget `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, p := range raw.Panels {
		switch p.Title {
		case "Recently Deleted: next purge in":
			seen++
			// The metric is absent when no deleted item lacks a copy: the
			// normal state must not read "No data".
			if p.FieldConfig.Defaults.NoValue == "" {
				t.Errorf("panel %q shows Grafana's \"No data\" when nothing is due; set fieldConfig.defaults.noValue", p.Title)
			}
		case "Requests to iCloud":
			seen++
			// Failures by code are series born at 1, which rate() misses;
			// the failure counter exists at 0 from start-up.
			found := false
			for _, tg := range p.Targets {
				found = found || strings.Contains(tg.Expr, "icloudmon_icloud_failed_requests_total")
				if strings.Contains(tg.Expr, `code!~`) {
					t.Errorf("panel %q counts failures from per-code series, which miss the first failure: %s", p.Title, tg.Expr)
				}
			}
			if !found {
				t.Errorf("panel %q does not use icloudmon_icloud_failed_requests_total", p.Title)
			}
		}
	}
	if seen != 2 {
		t.Errorf("found %d of the 2 panels by title", seen)
	}
}

// Issue 20: the dashboard shows the whole-library audit: the missing
// photos per library and the first fill's progress, on the job and
// instance variables like every panel.
func TestDashboardShowsTheAudit(t *testing.T) {
	want := map[string]bool{"icloudmon_audit_missing_assets": false, "icloudmon_audit_fill_ratio": false}
	for _, p := range allPanels(loadDashboard(t).Panels) {
		for _, tg := range p.Targets {
			for m := range want {
				if strings.Contains(tg.Expr, m+"{") && strings.Contains(tg.Expr, `account=~"$account"`) {
					want[m] = true
				}
			}
		}
	}
	for m, seen := range want {
		if !seen {
			t.Errorf("no panel shows %s per account", m)
		}
	}
}
