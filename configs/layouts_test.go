package configs

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryLayoutValidates: the layout table is what Validate accepts, and
// a name that is no row (here localindex's old name for osxphotos) is
// rejected with the table's names.
func TestEveryLayoutValidates(t *testing.T) {
	for _, l := range Layouts() {
		t.Run(l.Name, func(t *testing.T) {
			cfg := Default()
			acct := DefaultAccount()
			acct.Name, acct.AppleID = "alice", "alice@example.com"
			f := DefaultFolder()
			f.Path, f.Layout = "/photos/alice", l.Name
			acct.Folders = []Folder{f}
			cfg.Accounts = []Account{acct}
			if err := cfg.Validate(); err != nil {
				t.Errorf("layout %s: %v", l.Name, err)
			}
			if got, ok := LayoutNamed(l.Name); !ok || got != l {
				t.Errorf("LayoutNamed(%q) = %+v, %v", l.Name, got, ok)
			}
		})
	}
	if _, ok := LayoutNamed("mac"); ok {
		t.Error(`"mac" is a layout; the configuration calls it osxphotos`)
	}
	if got := Layouts(); got[0].Name != DefaultFolder().Layout {
		t.Errorf("first layout %q, the default is %q", got[0].Name, DefaultFolder().Layout)
	}
}

// TestLayoutsDocumented keeps the table and the docs in step: the layout
// row of CONFIGURATION.md names every layout, and docs/checks.md names the
// renaming ones.
func TestLayoutsDocumented(t *testing.T) {
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	row := regexp.MustCompile("(?m)^\\| `accounts\\[\\]\\.folders\\[\\]\\.layout` \\|.*$").FindString(read("../CONFIGURATION.md"))
	if row == "" {
		t.Fatal("CONFIGURATION.md has no row for accounts[].folders[].layout")
	}
	var renaming []string
	for _, l := range Layouts() {
		if !strings.Contains(row, "`"+l.Name+"`") {
			t.Errorf("CONFIGURATION.md does not name layout %s", l.Name)
		}
		if l.RenamesFiles {
			renaming = append(renaming, l.Name)
		}
	}
	m := regexp.MustCompile(`whose layout renames files \(([^)]*)\)`).FindStringSubmatch(read("../docs/checks.md"))
	if m == nil {
		t.Fatal(`docs/checks.md lacks "whose layout renames files (...)"`)
	}
	var doc []string
	for _, w := range strings.Split(m[1], ",") {
		doc = append(doc, strings.Trim(strings.TrimSpace(w), "`"))
	}
	slices.Sort(doc)
	slices.Sort(renaming)
	if !slices.Equal(doc, renaming) {
		t.Errorf("docs/checks.md names renaming layouts %v, the table %v", doc, renaming)
	}
}
