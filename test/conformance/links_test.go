package conformance

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestRuleBookLinksEveryCase keeps docs/checks.md and cases/ in step: every
// case is linked from the rule it checks, and every link names a case.
func TestRuleBookLinksEveryCase(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "checks.md"))
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, m := range regexp.MustCompile(`\(\.\./test/conformance/cases/([^/)]+)/\)`).FindAllSubmatch(doc, -1) {
		linked[string(m[1])] = true
	}
	dirs, err := filepath.Glob("cases/*")
	if err != nil {
		t.Fatal(err)
	}
	exists := map[string]bool{}
	for _, d := range dirs {
		name := filepath.Base(d)
		exists[name] = true
		if !linked[name] {
			t.Errorf("case %s is not linked from any rule in docs/checks.md (add it to the section's \"Conformance cases\" line)", name)
		}
	}
	for name := range linked {
		if !exists[name] {
			t.Errorf("docs/checks.md links conformance case %s, which does not exist", name)
		}
	}
}
