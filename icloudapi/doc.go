// Package icloudapi is a read-only client for the iCloud web endpoints: SRP
// sign-in, two-factor authentication, trust tokens, session
// (de)serialisation, accountLogin/validate, Photos CloudKit reads and storage
// usage, with typed errors a caller can act on.
//
// Imports: no project package but the shared vocabulary of package photo
// (the decoder builds photo.Assets). There is deliberately no code path to
// any mutating CloudKit or account endpoint.
package icloudapi
