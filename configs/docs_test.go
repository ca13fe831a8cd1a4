package configs

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestExampleIsValid(t *testing.T) {
	cleanEnv(t)
	if got := loadAndValidate(t, "icloudmon.example.yml"); got != "" {
		t.Errorf("icloudmon.example.yml is invalid:\n%s", got)
	}
}

// yamlKeys collects the key paths of a YAML document, list indexes as "[]".
func yamlKeys(n *yaml.Node, prefix string, out map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			yamlKeys(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := joinKey(prefix, n.Content[i].Value)
			out[key] = true
			yamlKeys(n.Content[i+1], key, out)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			yamlKeys(c, prefix+"[]", out)
		}
	}
}

// TestExampleHasEveryKey: the example shows every key of the model (with a
// comment above or beside it) and nothing else.
func TestExampleHasEveryKey(t *testing.T) {
	data, err := os.ReadFile("icloudmon.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	inExample := map[string]bool{}
	yamlKeys(&doc, "", inExample)
	for _, k := range Keys() {
		if !inExample[k] {
			t.Errorf("key %s is missing from icloudmon.example.yml", k)
		}
	}
	for k := range inExample {
		if !slices.ContainsFunc(Keys(), func(m string) bool { return m == k || strings.HasPrefix(m, k+".") }) {
			t.Errorf("icloudmon.example.yml has %s, which is not a key", k)
		}
	}
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		trimmed := strings.TrimPrefix(strings.TrimSpace(line), "- ")
		name, _, isKey := strings.Cut(trimmed, ":")
		if isKey && !strings.HasPrefix(trimmed, "#") && !strings.Contains(name, " ") && !commented(lines, i) {
			t.Errorf("icloudmon.example.yml line %d (%s) has no comment", i+1, name)
		}
	}
}

// commented: the line has a comment, or the block of key lines it belongs
// to (no blank line in between) starts right below a comment.
func commented(lines []string, i int) bool {
	if strings.Contains(lines[i], " # ") {
		return true
	}
	for j := i - 1; j >= 0; j-- {
		l := strings.TrimSpace(lines[j])
		switch {
		case l == "":
			return false
		case strings.HasPrefix(l, "#"), strings.HasPrefix(l, "- #"):
			return true
		}
	}
	return false
}

// docRow is one row of a key table in CONFIGURATION.md.
type docRow struct{ typ, def, env string }

func docRows(t *testing.T) map[string]docRow {
	t.Helper()
	data, err := os.ReadFile("../CONFIGURATION.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]docRow{}
	for line := range strings.Lines(string(data)) {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, " | ")
		if len(cells) < 5 {
			continue
		}
		key := strings.Trim(strings.TrimPrefix(cells[0], "| "), "`")
		rows[key] = docRow{typ: cells[1], def: cells[2], env: strings.Trim(cells[3], "`")}
	}
	return rows
}

// TestConfigurationMDHasEveryKey: every key has a row with its environment
// variable and its real default.
func TestConfigurationMDHasEveryKey(t *testing.T) {
	rows := docRows(t)
	defaults := map[string]any{}
	flatten("", plain(reflect.ValueOf(Default())).(map[string]any), defaults)
	for _, k := range Keys() {
		row, ok := rows[k]
		if !ok {
			t.Errorf("CONFIGURATION.md has no table row for %s", k)
			continue
		}
		if row.env != EnvName(k) {
			t.Errorf("CONFIGURATION.md: %s has environment %q, want %q", k, row.env, EnvName(k))
		}
		if def, ok := defaults[k]; ok && !sameDefault(row.def, def) {
			t.Errorf("CONFIGURATION.md: %s default is %s, the code says %v", k, row.def, def)
		}
	}
	for k := range rows {
		if !slices.Contains(Keys(), k) {
			t.Errorf("CONFIGURATION.md documents %s, which is not a key", k)
		}
	}
}

func sameDefault(doc string, def any) bool {
	doc = strings.Trim(doc, "`")
	switch d := def.(type) {
	case time.Duration:
		got, err := ParseDuration(doc)
		return err == nil && got == d
	case float64:
		got, err := strconv.ParseFloat(doc, 64)
		return err == nil && got == d
	case string:
		return doc == d || (d == "" && doc == `""`)
	case []any:
		return len(d) == 0 && doc == "[]"
	}
	return doc == fmt.Sprint(def)
}
