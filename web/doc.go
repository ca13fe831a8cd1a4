// Package web is icloudmon's HTTP side: the handler (/metrics, /healthz,
// /, /api/status, /api/check, /auth/*), the web token, the status page
// with its SVG charts, the re-auth pages and the hardened http.Server.
//
// Imports: agent (the last reports, the scheduler's trigger, the stored
// history and the sign-in flows it serves), checks, history, icloudapi,
// metrics, credstore, store. agent never imports web: cmd builds the agent
// first and hands it to NewHandler.
package web
