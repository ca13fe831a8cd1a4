package main

import (
	"sync"
	"testing"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// TestConcurrentVerifyWrongPasswordSignsInOnce: eight `verify` runs that
// overlap on one data_dir (cron beside the daemon, a user trying again)
// with a wrong password make exactly one failed sign-in at Apple: each run
// builds its own store, session store and client, as a separate process
// would, and only the cross-process sign-in record keeps the others away.
func TestConcurrentVerifyWrongPasswordSignsInOnce(t *testing.T) {
	e := newLoginEnv(t, fakeicloud.Scenario{}, "not the password")
	const runs = 8
	codes := make([]int, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			codes[i], _, _ = e.run(t, nil, "verify", "--account", "a")
		})
	}
	wg.Wait()
	if n := e.count("POST", "/signin/complete"); n != 1 {
		t.Errorf("%d overlapping verify runs sent the wrong password %d times (signin/complete), want exactly once", runs, n)
	}
	for i, c := range codes {
		if c != exitCritical {
			t.Errorf("run %d: exit %d, want %d (auth critical)", i, c, exitCritical)
		}
	}
}
