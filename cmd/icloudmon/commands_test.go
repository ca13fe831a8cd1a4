package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/secret"
)

// TestCommandsAreTheContract: the explicit command list is the table of
// design.md §4, no more and no fewer.
func TestCommandsAreTheContract(t *testing.T) {
	doc, err := os.ReadFile("../../docs/design.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	section := s[strings.Index(s, "## 4."):strings.Index(s, "## 5.")]
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z]+)").FindAllStringSubmatch(section, -1) {
		documented = append(documented, m[1])
	}
	var listed []string
	for _, cmd := range newCLI(nil, io.Discard, io.Discard).commands() {
		listed = append(listed, cmd.Name())
	}
	slices.Sort(documented)
	slices.Sort(listed)
	if !slices.Equal(documented, listed) {
		t.Errorf("design.md §4 lists %v, cli.commands %v", documented, listed)
	}
}

// TestSeamsBelongToTheirCLI: a test seam changed on one cli does not reach
// another, so tests can replace them without package state.
func TestSeamsBelongToTheirCLI(t *testing.T) {
	called := false
	a, b := newCLI(strings.NewReader(""), io.Discard, io.Discard), newCLI(strings.NewReader(""), io.Discard, io.Discard)
	a.keychainSet = func(context.Context, string, secret.Secret) error { called = true; return nil }
	a.isTerminal = func(io.Reader) (int, bool) { return 7, true }
	if b.sessionMode != credstore.ModeAuto {
		t.Errorf("a new cli keeps sessions in mode %v, want ModeAuto (as run does)", b.sessionMode)
	}
	if p := b.prompter(); p.tty {
		t.Error("a string reader is a terminal for the second cli")
	}
	if p := a.prompter(); !p.tty || p.fd != 7 {
		t.Errorf("the first cli's terminal seam is not used: %+v", p)
	}
	var out bytes.Buffer
	b.stdout = &out
	if code := b.run([]string{"version"}); code != exitOK || called {
		t.Errorf("version on the second cli: exit %d, first cli's keychain called %v", code, called)
	}
}
