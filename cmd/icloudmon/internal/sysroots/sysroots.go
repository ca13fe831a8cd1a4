// Package sysroots loads the system's TLS trust anchors for icloudmon.
//
// On Linux crypto/x509 reads the first CA bundle it finds and then every
// file of /etc/ssl/certs, parsing each certificate it meets. On Debian and
// Ubuntu that directory holds the bundle itself again and a copy of each of
// its certificates, so every root is parsed three times: about 30 ms of CPU
// for a command whose own work at a small library takes less (issue 25).
// Pool reads the same files in the same order, with the same environment
// variables (SSL_CERT_FILE, SSL_CERT_DIR), and adds the same certificates
// to the pool, but parses each distinct certificate once. Elsewhere it is
// x509.SystemCertPool, which uses the platform's verifier.
package sysroots

import (
	"crypto/x509"
	"os"
	"strings"
	"sync"
)

var (
	once    sync.Once
	roots   *x509.CertPool
	loadErr error
)

// init starts the load while the rest of the binary is still being
// initialised (Prometheus, SQLite, YAML: about a third of the time before
// main) when the command is verify, a one-shot command whose first request
// waits for the roots. This package needs only crypto/x509, so Go
// initialises it before most of the others. Other commands load the roots
// when they need them, or never.
func init() {
	if wanted(os.Args[1:]) {
		Start()
	}
}

// wanted reports whether args run `icloudmon verify`: the first argument
// that is neither a flag nor the value of --config is "verify".
func wanted(args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--config" || a == "-config":
			i++ // its value
		case strings.HasPrefix(a, "-"):
		default:
			return a == "verify"
		}
	}
	return false
}

// Start begins loading the roots in the background; Pool and Default wait
// for that same load.
func Start() {
	go once.Do(load)
}

func load() { roots, loadErr = loadRoots() }

// Pool returns a copy of the system's roots, which the caller may add to
// (tls.ca_file), like x509.SystemCertPool.
func Pool() (*x509.CertPool, error) {
	once.Do(load)
	if loadErr != nil {
		return nil, loadErr
	}
	return roots.Clone(), nil
}
