package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneNameForTheAppleID: user-facing text (every string literal of the
// product's packages and the page templates) says "Apple ID", never
// "Apple Account" (Apple uses both; mixing them confuses). The fake iCloud
// is left out: it repeats Apple's own messages.
func TestOneNameForTheAppleID(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, dir := range []string{"agent", "web", "web/templates", "checks", "cmd/icloudmon", "configs", "credstore",
		"history", "icloudapi", "internal/demo", "localindex", "metrics", "notify", "store"} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := filepath.Join(root, dir, e.Name())
			switch {
			case strings.HasSuffix(name, "_test.go"):
			case strings.HasSuffix(name, ".go"):
				f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
				if err != nil {
					t.Fatal(err)
				}
				ast.Inspect(f, func(n ast.Node) bool {
					if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.Contains(lit.Value, "Apple Account") {
						t.Errorf("%s: %s says \"Apple Account\"; write \"Apple ID\"", name, lit.Value)
					}
					return true
				})
			case strings.HasSuffix(name, ".html"):
				data, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(data), "Apple Account") {
					t.Errorf("%s says \"Apple Account\"; write \"Apple ID\"", name)
				}
			}
		}
	}
}
