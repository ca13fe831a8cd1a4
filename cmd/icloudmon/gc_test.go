package main

import (
	"bytes"
	"math"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

var gcSink []byte

// TestOneShotGCWaitsForTheLimit (issue 25): after deferGC no collection
// runs until the runtime holds the given amount of memory; the first one
// puts the usual pacing back (GOGC=100, no limit).
func TestOneShotGCWaitsForTheLimit(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	t.Cleanup(func() {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	inUse := int64(ms.Sys - ms.HeapReleased)
	deferGC(inUse + 64<<20)
	runtime.ReadMemStats(&ms)
	before := ms.NumGC
	allocate(24 << 20) // six times the default 4 MB minimum heap
	runtime.ReadMemStats(&ms)
	if ms.NumGC != before {
		t.Fatalf("%d collections ran below the limit, want none", ms.NumGC-before)
	}
	allocate(160 << 20)
	runtime.ReadMemStats(&ms)
	if ms.NumGC == before {
		t.Fatalf("no collection ran past the limit")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		p := debug.SetGCPercent(100)
		limit := debug.SetMemoryLimit(math.MaxInt64)
		if p == 100 && limit == math.MaxInt64 {
			break
		}
		debug.SetGCPercent(p)
		debug.SetMemoryLimit(limit)
		if time.Now().After(deadline) {
			t.Fatalf("after the first collection GOGC is %d and the limit %d, want 100 and none", p, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestOneShotGCLeavesTheEnvironmentAlone: GOGC or GOMEMLIMIT set by the
// operator are kept.
func TestOneShotGCLeavesTheEnvironmentAlone(t *testing.T) {
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv("GOGC", "")
			t.Setenv("GOMEMLIMIT", "")
			t.Setenv(env, "200")
			deferGC(1 << 40)
			p := debug.SetGCPercent(100)
			limit := debug.SetMemoryLimit(math.MaxInt64)
			if p != 100 || limit != math.MaxInt64 {
				t.Errorf("with %s set deferGC changed GOGC to %d and the limit to %d", env, p, limit)
			}
		})
	}
}

// TestVerifySetsUpTheOneShotGC: verify (and only the one-shot command)
// sets the collector up before it reads its configuration.
func TestVerifySetsUpTheOneShotGC(t *testing.T) {
	for _, args := range [][]string{{"verify"}, {"config", "check"}} {
		c := newCLI(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
		calls := 0
		c.oneShotGC = func() { calls++ }
		c.warmRoots = func() {}
		c.run(append(args, "--config", filepath.Join(t.TempDir(), "missing.yml")))
		want := 0
		if args[0] == "verify" {
			want = 1
		}
		if calls != want {
			t.Errorf("%q set up the one-shot GC %d times, want %d", args, calls, want)
		}
	}
}

func allocate(n int) {
	for i := 0; i < n; i += 64 << 10 {
		gcSink = make([]byte, 64<<10)
	}
}

// TestDeferralKeepsAPacingSetMeanwhile: when the first collection ends the
// deferral while the audit has the collector at its tighter pacing, that
// pacing stays (only "off" becomes the default 100), and the memory limit
// goes either way.
func TestDeferralKeepsAPacingSetMeanwhile(t *testing.T) {
	t.Cleanup(func() {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	})
	for _, tc := range []struct{ during, want int }{{-1, 100}, {15, 15}} {
		debug.SetGCPercent(tc.during)
		debug.SetMemoryLimit(32 << 20)
		endDeferral()
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("pacing %d when the deferral ended: now %d, want %d", tc.during, got, tc.want)
		}
		if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 {
			t.Errorf("pacing %d: memory limit %d left after the deferral", tc.during, limit)
		}
	}
}
