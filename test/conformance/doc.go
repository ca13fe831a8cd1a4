// Package conformance is an independent check of icloudmon against
// recorded Apple answers: each case under cases/ replays Apple's responses
// from a small TLS server that knows nothing of the client, materialises a
// local folder from a manifest, runs the real `icloudmon verify --output
// json` binary and compares the verdict with one written from the rules in
// docs/checks.md. See README.md.
//
// The package imports no project package on purpose: a shared type or
// helper would let the client and its checker share the same mistake.
package conformance
