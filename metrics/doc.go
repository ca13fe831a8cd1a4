// Package metrics exposes the last Report and the agent's own counters as
// Prometheus metrics, on an injected registry (never the global one).
//
// The metrics derived from the Report (design §6) are const metrics built at
// scrape time from the last Report given to Metrics.SetReport, so nothing
// goes stale and a scrape never calls Apple. The agent's own counters and
// run gauges are updated through Metrics.ObserveRequest, ObserveSignIn,
// ObserveNotification, ObserveRun and SetLastSuccess. Handler serves a
// registry over HTTP. docs/metrics.md lists every metric; the alert rules
// and the Grafana dashboard in configs/ are tested against this package.
//
// Imports: checks (for the Report types) and client_golang.
package metrics
