package main

import (
	"strings"
	"testing"
)

// TestCommandsListOnlyTheirFlags: a command's --help lists the global
// configuration flags it uses and none it would ignore (verify never
// listens, healthcheck never checks, password touches no data_dir).
func TestCommandsListOnlyTheirFlags(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		has, lack []string
	}{
		{[]string{"verify"}, []string{"--data-dir", "--log-level", "--output"}, []string{"--listen", "--interval"}},
		{[]string{"audit"}, []string{"--data-dir", "--log-level", "--output", "--account"}, []string{"--listen", "--interval", "--no-cache"}},
		{[]string{"login"}, []string{"--data-dir", "--account"}, []string{"--listen", "--interval"}},
		{[]string{"logout"}, []string{"--data-dir"}, []string{"--listen", "--interval"}},
		{[]string{"notify", "test"}, []string{"--data-dir"}, []string{"--listen", "--interval"}},
		{[]string{"healthcheck"}, []string{"--listen", "--url"}, []string{"--interval", "--data-dir", "--log-level"}},
		{[]string{"password", "set"}, []string{"--account"}, []string{"--listen", "--interval", "--data-dir"}},
		{[]string{"run"}, []string{"--listen", "--interval", "--data-dir"}, nil},
		{[]string{"config", "check"}, []string{"--listen", "--interval", "--data-dir"}, nil},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, "", append(tc.args, "--help")...)
			if code != exitOK {
				t.Fatalf("%v --help: exit %d: %s", tc.args, code, errOut)
			}
			for _, f := range tc.has {
				if !strings.Contains(out, f+" ") {
					t.Errorf("%v --help lacks %s", tc.args, f)
				}
			}
			for _, f := range tc.lack {
				if strings.Contains(out, f+" ") {
					t.Errorf("%v --help lists %s, which it ignores", tc.args, f)
				}
			}
		})
	}
}

// TestUsageErrorsPointToHelp: an unknown flag names the command's --help;
// an unknown command names icloudmon --help.
func TestUsageErrorsPointToHelp(t *testing.T) {
	code, _, errOut := runCLI(t, "", "verify", "--interval", "1h")
	if code != exitUnknown || !strings.Contains(errOut, "unknown flag: --interval") ||
		!strings.Contains(errOut, "run 'icloudmon verify --help' for the flags of this command") {
		t.Errorf("unknown flag: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "verfy")
	if code != exitUnknown || !strings.Contains(errOut, "run 'icloudmon --help'") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "verify", "--output")
	if code != exitUnknown || !strings.Contains(errOut, "icloudmon verify --help") {
		t.Errorf("flag without value: exit %d, stderr %q", code, errOut)
	}
}
