//go:build conformance

package main

import (
	"fmt"
	"os"
	"time"
)

// conformanceClockEnv names the instant (RFC 3339) the clock reads when the
// process starts; it then runs at the real pace. Only a binary built with
// `-tags conformance` (test/conformance) reads it: the multi-day cases move
// a NAS through 30 simulated days, one `verify` per day. A release build
// has no such hook (clock.go).
const conformanceClockEnv = "ICLOUDMON_CONFORMANCE_CLOCK"

func init() {
	v, ok := os.LookupEnv(conformanceClockEnv)
	if !ok {
		return
	}
	start, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q is not an RFC 3339 time: %v\n", conformanceClockEnv, v, err)
		os.Exit(exitUnknown)
	}
	real := time.Now()
	clockNow = func() time.Time { return start.Add(time.Since(real)) }
}
