package configs

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with the configuration: the key (with list
// indexes, e.g. accounts[1].folders[0].layout), the line in the file when it
// is known, and a message that names the bad value (never a secret's) and
// the fix.
type Problem struct {
	Key     string
	Line    int
	Message string
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Key, p.Message)
	}
	return p.Key + ": " + p.Message
}

// Problems is every problem found, in file order; as an error it prints one
// problem per line.
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

// LoadError is returned by Load when the configuration cannot be read; it
// names the source (the file, ICLOUDMON_ACCOUNTS, "environment or flags").
type LoadError struct {
	Source   string
	Problems Problems
	Err      error
}

func (e *LoadError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Source, e.Err)
	}
	if len(e.Problems) == 1 {
		return fmt.Sprintf("%s: %v", e.Source, e.Problems[0])
	}
	return fmt.Sprintf("%s: %d problems:\n%v", e.Source, len(e.Problems), e.Problems)
}

func (e *LoadError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return e.Problems
}
