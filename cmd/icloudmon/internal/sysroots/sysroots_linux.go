//go:build linux && !android

package sysroots

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The files and directories crypto/x509 reads on Linux (root_linux.go):
// the first bundle found, then every file of every directory.
var (
	certFiles = []string{
		"/etc/ssl/certs/ca-certificates.crt",                // Debian/Ubuntu/Gentoo etc.
		"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora/RHEL 6
		"/etc/ssl/ca-bundle.pem",                            // OpenSUSE
		"/etc/pki/tls/cacert.pem",                           // OpenELEC
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS/RHEL 7
		"/etc/ssl/cert.pem",                                 // Alpine Linux
	}
	certDirectories = []string{
		"/etc/ssl/certs",     // SLES10/SLES11
		"/etc/pki/tls/certs", // Fedora/RHEL
	}
)

// Default is the pool to verify servers with when no roots are added: the
// system's, loaded by Pool. nil when they could not be loaded, so that
// crypto/x509 tries itself and reports why.
func Default() *x509.CertPool {
	p, err := Pool()
	if err != nil {
		return nil
	}
	return p
}

// appendPEM is CertPool.AppendCertsFromPEM; tests count the calls.
var appendPEM = (*x509.CertPool).AppendCertsFromPEM

// loadRoots is crypto/x509's loadSystemRoots (root_unix.go) with one
// difference: a certificate already met (the same DER bytes) is not parsed
// again. crypto/x509 parses it and then drops it from the pool as a
// duplicate, so the pool ends up with the same certificates in the same
// order.
func loadRoots() (*x509.CertPool, error) {
	l := loader{pool: x509.NewCertPool(), seen: map[[sha256.Size224]byte]bool{}}
	dirs := certDirectories
	if d := os.Getenv("SSL_CERT_DIR"); d != "" {
		dirs = strings.Split(d, ":")
	}
	// The directories' files are read while the bundle is parsed: on
	// Debian that is about a thousand system calls (a readlink per
	// symlink, then open, read and close per file), half of the load, and
	// parsing is the other half. They are added after the bundle, in the
	// same order as before.
	read := make(chan []dirFiles, 1)
	go func() { read <- readDirs(dirs) }()
	files := certFiles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	var firstErr error
	for _, file := range files {
		data, err := os.ReadFile(file) //nolint:gosec // the system's CA bundle, as crypto/x509 reads it
		if err == nil {
			l.add(data)
			break
		}
		if firstErr == nil && !os.IsNotExist(err) {
			firstErr = err
		}
	}
	for _, d := range <-read {
		if d.err != nil {
			if firstErr == nil && !os.IsNotExist(d.err) {
				firstErr = d.err
			}
			continue
		}
		for _, data := range d.files {
			l.add(data)
		}
	}
	if l.added > 0 || firstErr == nil {
		return l.pool, nil
	}
	return nil, firstErr
}

// dirFiles are the contents of the files of one certificate directory
// that could be read, in directory order, or why the directory could not.
type dirFiles struct {
	files [][]byte
	err   error
}

// readDirs reads the files of dirs as crypto/x509 does: every entry but
// the symlinks within the directory, skipping the files that cannot be
// read.
func readDirs(dirs []string) []dirFiles {
	out := make([]dirFiles, len(dirs))
	for i, dir := range dirs {
		entries, err := readUniqueDirectoryEntries(dir)
		if err != nil {
			out[i].err = err
			continue
		}
		for _, e := range entries {
			if data, err := os.ReadFile(dir + "/" + e.Name()); err == nil { //nolint:gosec // the system's CA directory
				out[i].files = append(out[i].files, data)
			}
		}
	}
	return out
}

type loader struct {
	pool  *x509.CertPool
	seen  map[[sha256.Size224]byte]bool
	added int
}

// add is CertPool.AppendCertsFromPEM that skips the certificates met
// before: each new PEM block goes to AppendCertsFromPEM on its own, which
// parses it and keeps it the same way (or skips it when it does not parse).
func (l *loader) add(data []byte) {
	for len(data) > 0 {
		rest := data
		var block *pem.Block
		block, data = pem.Decode(rest)
		if block == nil {
			return
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			continue
		}
		sum := sha256.Sum224(block.Bytes)
		if l.seen[sum] {
			continue
		}
		l.seen[sum] = true
		if appendPEM(l.pool, rest[:len(rest)-len(data)]) {
			l.added++
		}
	}
}

// readUniqueDirectoryEntries is os.ReadDir without the symlinks that point
// within the directory (crypto/x509's rule).
func readUniqueDirectoryEntries(dir string) ([]fs.DirEntry, error) {
	files, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	uniq := files[:0]
	for _, f := range files {
		if !isSameDirSymlink(f, dir) {
			uniq = append(uniq, f)
		}
	}
	return uniq, nil
}

func isSameDirSymlink(f fs.DirEntry, dir string) bool {
	if f.Type()&fs.ModeSymlink == 0 {
		return false
	}
	target, err := os.Readlink(filepath.Join(dir, f.Name()))
	return err == nil && !strings.Contains(target, "/")
}
