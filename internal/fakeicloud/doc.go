// Package fakeicloud is a protocol-faithful fake of Apple's iCloud web
// endpoints (server-side SRP that verifies the client's proofs, 2FA, trust
// tokens, accountLogin/validate, CloudKit queries, storage, faults). It is
// the only stand-in for Apple: tests and the demo use it, nothing else may.
//
// Imports: no project package.
package fakeicloud
