package main

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowedImports is design §1's table of arrows: which project packages each
// package may import (outside its tests). cmd may import everything.
var allowedImports = map[string][]string{
	"web":                 {"agent", "checks", "history", "icloudapi", "metrics", "credstore", "store"},
	"agent":               {"icloudapi", "localindex", "checks", "history", "metrics", "notify", "credstore", "store", "photo"},
	"internal/demo":       {"internal/fakeicloud", "checks", "history", "store"},
	"history":             {"checks"},
	"metrics":             {"checks"},
	"notify":              {"checks"},
	"checks":              {"photo"},
	"icloudapi":           {"photo"},
	"localindex":          {"photo"},
	"credstore":           {"secret"},
	"store":               {},
	"configs":             {"secret"},
	"secret":              {},
	"internal/fakeicloud": {},
	"internal/syncbuf":    {},
	"photo":               {},
}

// fakeImporters may import internal/fakeicloud outside their tests: the
// demo, cmd (which runs it), and what is not product code (benchmarks,
// the test suites). No other package ships the fake.
var fakeImporters = []string{"internal/demo", "cmd/", "bench/", "test/"}

// singleOwner lists third-party modules that exactly one package may import.
var singleOwner = map[string]string{
	"github.com/spf13/viper":        "configs",
	"github.com/zalando/go-keyring": "credstore",
}

const modulePath = "github.com/icloudmon/icloudmon"

type listedPackage struct {
	ImportPath string
	Imports    []string
}

// TestImportArrows enforces the layering of design §1 with `go list`, so the
// arrows hold even where golangci-lint's depguard is not run.
func TestImportArrows(t *testing.T) {
	for _, p := range listPackages(t) {
		checkArrows(t, p)
	}
}

// TestOnlyTheDemoImportsTheFake: the fake iCloud reaches the product only
// through the demo; agent, web and the other packages never import it.
func TestOnlyTheDemoImportsTheFake(t *testing.T) {
	const fake = modulePath + "/internal/fakeicloud"
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, modulePath), "/")
		if !slices.Contains(p.Imports, fake) {
			continue
		}
		if !slices.ContainsFunc(fakeImporters, func(allowed string) bool {
			return rel == allowed || strings.HasSuffix(allowed, "/") && strings.HasPrefix(rel, allowed)
		}) {
			t.Errorf("%s imports internal/fakeicloud; only the demo (internal/demo), cmd, bench and test may (design §1)", rel)
		}
	}
}

// listPackages lists the module's packages with their non-test imports.
func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "list", "-e", "-json", modulePath+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []listedPackage
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 3 {
		t.Fatalf("go list found %d packages; expected the whole module", len(pkgs))
	}
	return pkgs
}

func checkArrows(t *testing.T, p listedPackage) {
	t.Helper()
	rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, modulePath), "/")
	allowed, known := allowedImports[rel]
	for _, imp := range p.Imports {
		for mod, owner := range singleOwner {
			if (imp == mod || strings.HasPrefix(imp, mod+"/")) && rel != owner {
				t.Errorf("%s imports %s; only %s may (design §1)", rel, imp, owner)
			}
		}
		if !known || !strings.HasPrefix(imp, modulePath+"/") {
			continue // cmd and bench may import everything; third-party imports are checked above
		}
		target := strings.TrimPrefix(imp, modulePath+"/")
		if !slices.Contains(allowed, target) {
			t.Errorf("%s imports %s, which design §1 does not allow", rel, target)
		}
	}
	if !known && !strings.HasPrefix(rel, "cmd/") && !strings.HasPrefix(rel, "bench/") && !strings.HasPrefix(rel, "test/") {
		t.Errorf("package %s is not in the architecture table; add it to design §1 and allowedImports", rel)
	}
}
