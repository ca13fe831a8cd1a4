// Package agent composes one check cycle per account (session → cloud
// snapshot → local snapshot → match → evaluate → record → notify), the
// scheduler that runs it, the HTTP server (/metrics, /healthz, /, /api/*,
// /auth/*) and the wiring of the demo.
//
// Imports: icloudapi, localindex, checks, metrics, notify, credstore, store
// (and internal/fakeicloud for the demo only). It never imports configs or
// cmd: cmd translates the configuration into agent options.
package agent
