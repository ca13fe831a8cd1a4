package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
)

// oneShotHeap is how much memory verify may use before its first garbage
// collection (see deferGC).
const oneShotHeap = 32 << 20

// deferGC lets a one-shot command allocate up to limit bytes (the Go
// runtime's total, as runtime/debug.SetMemoryLimit counts it) before the
// first garbage collection, and from then on collects as usual (GOGC=100,
// no limit). A repeat verify of a small library allocates about 20 MB in
// all and keeps little of it; with the default 4 MB minimum heap it ran
// five collections for nothing (about 8 ms of its 100 ms of CPU). A large
// library passes the limit early and is collected as before, so the peak
// is at most the limit or what it was. GOGC or GOMEMLIMIT set in the
// environment win: then nothing changes.
func deferGC(limit int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	gen := deferredGC.Add(1)
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(limit)
	// The sentinel is garbage at once, so the first collection (at the
	// limit) finds it and the cleanup puts the runtime's defaults back
	// (those of an environment without GOGC and GOMEMLIMIT), unless a
	// later deferGC took over (tests run verify many times).
	sentinel := &struct{ p *int }{}
	runtime.AddCleanup(sentinel, func(gen uint64) {
		if deferredGC.Load() == gen {
			endDeferral()
		}
	}, gen)
}

// deferredGC counts the calls of deferGC.
var deferredGC atomic.Uint64

// endDeferral ends deferGC's deferral: the memory limit goes, and the
// collector is switched back on at the default pacing unless someone set
// another pacing meanwhile (the audit tightens GOGC while it compares a
// large library: that setting stays, and the audit puts the default back
// when it ends).
func endDeferral() {
	debug.SetMemoryLimit(math.MaxInt64)
	if p := debug.SetGCPercent(100); p >= 0 {
		debug.SetGCPercent(p)
	}
}
