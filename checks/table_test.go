package checks

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestOneRowAddsACheck: a check on existing data needs its evaluation and
// one table row; the report, AllChecks, Title and the clock note follow.
func TestOneRowAddsACheck(t *testing.T) {
	const id CheckID = "test_only"
	old := checkTable
	t.Cleanup(func() { checkTable = old })
	checkTable = append(slices.Clone(old), checkDef{id: id, ages: true, title: "test only",
		eval: func(e *evaluator) CheckResult {
			return result(id, StatusWarning, "Saw "+e.obs.Account, "do something", nil)
		}})

	if ids := AllChecks(); ids[len(ids)-1] != id {
		t.Errorf("AllChecks ends with %s, want %s", ids[len(ids)-1], id)
	}
	if got := Title(id); got != "test only" {
		t.Errorf("Title = %q", got)
	}
	apple := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	off := 10 * day
	obs := Observation{Account: "a", ClockOffset: &off}
	a := Evaluate(obs, DefaultPolicy(), History{}, apple)
	c, ok := a.Check(id)
	if !ok || c.Status != StatusWarning || !strings.HasPrefix(c.Summary, "Saw a") {
		t.Fatalf("report has %+v (%v), want the new check's warning", c, ok)
	}
	if !strings.Contains(c.Summary, "ages computed on Apple's time") {
		t.Errorf("a check that judges ages gets no clock note: %q", c.Summary)
	}
	if last := a.Checks[len(a.Checks)-1]; last.ID != id {
		t.Errorf("last check %s, want the new row's %s", last.ID, id)
	}
}

func TestCheckTableRows(t *testing.T) {
	seen := map[CheckID]bool{}
	for i, d := range checkTable {
		t.Run(string(d.id), func(t *testing.T) {
			if d.id == "" || d.eval == nil || d.title == "" {
				t.Errorf("row %d is incomplete: %+v", i, d)
			}
			if seen[d.id] {
				t.Errorf("%s is listed twice", d.id)
			}
			seen[d.id] = true
		})
	}
}

func TestTitleOfAnUnknownID(t *testing.T) {
	if got := Title("not_a_check"); got != "not a check" {
		t.Errorf("Title = %q, want the id with spaces", got)
	}
	if got := Title(CheckLocalCopy); got != "local copy" {
		t.Errorf("Title(local_copy) = %q", got)
	}
}

// TestCheckTableDocumented keeps the table and the docs in step: every
// check has its section "## <id>" in docs/checks.md and its row in the
// table of design.md §3, and the design table names no other check.
func TestCheckTableDocumented(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "docs", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	rules, design := read("checks.md"), read("design.md")
	start := strings.Index(design, "## 3. Checks")
	end := strings.Index(design, "## 4.")
	if start < 0 || end < start {
		t.Fatal("design.md has no section 3 followed by section 4")
	}
	var documented []CheckID
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(design[start:end], -1) {
		documented = append(documented, CheckID(m[1]))
	}
	var table []CheckID
	for _, d := range checkTable {
		table = append(table, d.id)
	}
	if !slices.Equal(documented, table) {
		t.Errorf("design.md §3 lists %v, the check table %v (same ids, same order)", documented, table)
	}
	for _, id := range table {
		if !regexp.MustCompile(`(?m)^## ` + string(id) + `$`).MatchString(rules) {
			t.Errorf("docs/checks.md has no section \"## %s\"", id)
		}
	}
}
