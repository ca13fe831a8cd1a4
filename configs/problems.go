package configs

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with the configuration: the key (with list
// indexes, e.g. accounts[1].folders[0].layout), where the value came from,
// and a message that names the bad value (never a secret's) and the fix.
type Problem struct {
	Key string
	// Source is where the value was set: the config file's path, an
	// environment variable (ICLOUDMON_CHECKS_GRACE, ICLOUDMON_ACCOUNTS) or a
	// flag (--interval). Empty when the value is a default and no file was
	// read.
	Source string
	// Line and Column locate the key in the config file; 0 when the value
	// did not come from the file. A key the file lacks (an account without
	// apple_id) gets the position of the nearest enclosing key.
	Line, Column int
	Message      string

	// related lists other keys the problem depends on (the critical
	// threshold of a warning that must come first): a problem is not
	// reported when one of them could not be read, and it is located at
	// them when its own key is a default.
	related []string
}

// Error renders the problem as "source:line: key: message", leaving out
// what is unknown.
func (p Problem) Error() string {
	var b strings.Builder
	switch {
	case p.Source != "" && p.Line > 0:
		b.WriteString(p.Source + ":" + strconv.Itoa(p.Line) + ": ")
	case p.Source != "":
		b.WriteString(p.Source + ": ")
	case p.Line > 0:
		b.WriteString("line " + strconv.Itoa(p.Line) + ": ")
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found; as an error it prints one problem per
// line. Load returns them in the order of sortProblems.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// errOrNil returns nil for an empty list, so that callers can compare the
// result with nil.
func (ps Problems) errOrNil() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// sortProblems orders the problems of the file by line and column first,
// then the file's problems without a line, then those of the environment
// and the flags in the order they were found.
func sortProblems(ps Problems, file string) {
	rank := func(p Problem) int {
		switch {
		case file != "" && p.Source == file && p.Line > 0:
			return 0
		case file != "" && p.Source == file:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		ra, rb := rank(a), rank(b)
		if ra != rb || ra != 0 {
			return cmp.Compare(ra, rb)
		}
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// covers reports whether the keys a and b overlap: equal, or one holds the
// other (accounts[0] holds accounts[0].name).
func covers(a, b string) bool {
	return a == b || within(a, b) || within(b, a)
}

func within(key, parent string) bool {
	return strings.HasPrefix(key, parent+".") || strings.HasPrefix(key, parent+"[")
}

// parentKey strips the last element of a key: accounts[0].folders[1].path →
// accounts[0].folders[1] → accounts[0].folders → accounts[0] → accounts → "".
func parentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i < 0 {
		return ""
	}
	return key[:i]
}
