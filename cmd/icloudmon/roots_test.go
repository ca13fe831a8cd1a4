package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyStartsTheRootsFirst (issue 25): verify starts loading the
// system's TLS roots before anything else (even before it reads its
// configuration), so that the load runs beside the work that comes before
// the first request instead of in front of it.
func TestVerifyStartsTheRootsFirst(t *testing.T) {
	var stderr bytes.Buffer
	c := newCLI(strings.NewReader(""), &bytes.Buffer{}, &stderr)
	calls := 0
	c.warmRoots = func() { calls++ }
	code := c.run([]string{"verify", "--config", filepath.Join(t.TempDir(), "missing.yml")})
	if code != exitUnknown {
		t.Fatalf("verify with a missing configuration exited %d, want %d (stderr %q)", code, exitUnknown, stderr.String())
	}
	if calls != 1 {
		t.Errorf("verify started loading the roots %d times before failing on its configuration, want once", calls)
	}
}
