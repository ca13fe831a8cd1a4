//go:build race

package checks

// raceEnabled: the race detector slows the pure property test ~8× without
// adding anything (it has no concurrency), so it samples then.
const raceEnabled = true
