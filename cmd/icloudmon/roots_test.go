package main

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// TestVerifyStartsTheRootsFirst (issue 25): verify starts loading the
// system's TLS roots before anything else (even before it reads its
// configuration), so that the load runs beside the work that comes before
// the first request instead of in front of it.
func TestVerifyStartsTheRootsFirst(t *testing.T) {
	var stderr bytes.Buffer
	c := newCLI(strings.NewReader(""), &bytes.Buffer{}, &stderr)
	calls := 0
	c.warmRoots = func() { calls++ }
	code := c.run([]string{"verify", "--config", filepath.Join(t.TempDir(), "missing.yml")})
	if code != exitUnknown {
		t.Fatalf("verify with a missing configuration exited %d, want %d (stderr %q)", code, exitUnknown, stderr.String())
	}
	if calls != 1 {
		t.Errorf("verify started loading the roots %d times before failing on its configuration, want once", calls)
	}
}

// TestServersAreVerifiedWithTheSystemRoots (issue 25): without tls.ca_file
// the clients get the system's roots from sysroots (loaded once, each
// certificate parsed once) instead of leaving crypto/x509 to load them
// again; the roots trusted are exactly the system's, and tls.ca_file adds
// to them.
func TestServersAreVerifiedWithTheSystemRoots(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("elsewhere the platform's verifier checks servers (roots stay nil)")
	}
	sys, err := x509.SystemCertPool()
	if err != nil {
		t.Skipf("no system roots on this machine: %v", err)
	}
	roots, err := trustedRoots("")
	if err != nil {
		t.Fatalf("trustedRoots without tls.ca_file: %v", err)
	}
	if roots == nil || !roots.Equal(sys) {
		t.Fatalf("without tls.ca_file the roots are not the system's")
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	srv := fakeicloud.New(fakeicloud.Options{})
	defer srv.Close()
	if err := os.WriteFile(ca, srv.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	withCA, err := trustedRoots(ca)
	if err != nil {
		t.Fatalf("trustedRoots with tls.ca_file: %v", err)
	}
	if withCA.Equal(sys) {
		t.Errorf("tls.ca_file added nothing to the system roots")
	}
	if again, _ := trustedRoots(""); !again.Equal(sys) {
		t.Errorf("adding tls.ca_file changed the system roots of the next caller")
	}
}

// TestCAFileWithoutCertificateIsRefused: a tls.ca_file that holds no PEM
// certificate (a DER file, a key, a typo'd path's neighbour) is an error
// that names the key, never a silent fall back to the system roots alone.
func TestCAFileWithoutCertificateIsRefused(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(bad, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"no PEM": bad, "missing": filepath.Join(dir, "absent.pem")} {
		roots, err := trustedRoots(path)
		if err == nil || roots != nil {
			t.Errorf("%s: trustedRoots = %v, %v; want an error and no roots", name, roots, err)
			continue
		}
		if !strings.Contains(err.Error(), "tls.ca_file") {
			t.Errorf("%s: error %q does not name tls.ca_file", name, err)
		}
	}
}
