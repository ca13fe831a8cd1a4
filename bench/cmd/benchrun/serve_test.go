package main

import "testing"

// TestServeRefusesBadArguments: the keep-alive mode says how to call it
// instead of building anything.
func TestServeRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{nil, {"1000"}, {"many", t.TempDir()}, {"0", t.TempDir()}, {"1000", t.TempDir(), "extra"}} {
		if code := serve(args); code != 2 {
			t.Errorf("serve(%q) = %d, want 2", args, code)
		}
	}
}
