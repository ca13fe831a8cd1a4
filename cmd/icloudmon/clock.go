package main

import "time"

// clockNow is the clock of the agent, its iCloud client and folder index.
// It is time.Now, except in a binary built with the conformance tag (see
// clock_conformance.go), which the multi-day conformance cases start at
// a simulated day.
var clockNow = time.Now
