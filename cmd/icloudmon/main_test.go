package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

// runCLI runs the command line in-process and returns its exit code and output.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersion(t *testing.T) {
	code, out, errOut := runCLI(t, "", "version")
	if code != exitOK {
		t.Fatalf("version exited %d, stderr %q", code, errOut)
	}
	if !strings.HasPrefix(out, "icloudmon ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("version output %q lacks the name or the Go version", out)
	}
}

func TestUsageErrorIsUnknown(t *testing.T) {
	code, _, errOut := runCLI(t, "", "no-such-command")
	if code != exitUnknown {
		t.Fatalf("unknown command exited %d, want %d (UNKNOWN)", code, exitUnknown)
	}
	if !strings.Contains(errOut, "unknown command") {
		t.Errorf("stderr %q does not say the command is unknown", errOut)
	}
}
