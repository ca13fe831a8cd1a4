// Package metrics exposes the last Report and the agent's own counters as
// Prometheus metrics, on an injected registry (never the global one).
//
// Imports: checks (for the Report types) and client_golang.
package metrics
