//go:build !linux || android

package sysroots

import "crypto/x509"

// loadRoots is x509.SystemCertPool where the platform verifies on its own
// (macOS, Windows) or crypto/x509 reads other files (the BSDs, Android).
func loadRoots() (*x509.CertPool, error) { return x509.SystemCertPool() }

// Default is nil: the platform's verifier checks servers.
func Default() *x509.CertPool { return nil }
