//go:build linux && !android

package sysroots

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestPoolIsTheSystemPool: the roots loaded here are the ones crypto/x509
// loads on this machine, no more and no fewer.
func TestPoolIsTheSystemPool(t *testing.T) {
	want, err := x509.SystemCertPool()
	if err != nil {
		t.Skipf("this machine has no system roots crypto/x509 can load: %v", err)
	}
	got, err := Pool()
	if err != nil {
		t.Fatalf("Pool: %v", err)
	}
	if !got.Equal(want) {
		t.Errorf("Pool holds other roots than x509.SystemCertPool")
	}
	if Default() == nil || !Default().Equal(want) {
		t.Errorf("Default is not the system pool")
	}
	got.AddCert(newCert(t, "added by a caller"))
	if again, _ := Pool(); again.Equal(got) {
		t.Errorf("a certificate added to one Pool shows in the next: Pool must return a copy")
	}
}

// TestEachCertificateIsParsedOnce lays out what Debian does (the bundle, the
// bundle again inside the directory, one file per certificate, hash links)
// and checks that each distinct certificate goes to crypto/x509 once while
// the pool ends up with what crypto/x509's own loader would put in it.
func TestEachCertificateIsParsedOnce(t *testing.T) {
	a, b, c := newCert(t, "A"), newCert(t, "B"), newCert(t, "C")
	dir := t.TempDir()
	bundle := filepath.Join(t.TempDir(), "ca-certificates.crt")
	writePEM(t, bundle, a, b)
	certs := filepath.Join(dir, "certs")
	if err := os.Mkdir(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(certs, "ca-certificates.crt"), a, b)
	writePEM(t, filepath.Join(certs, "A.pem"), a)
	writePEM(t, filepath.Join(certs, "C.pem"), c)
	if err := os.Symlink("A.pem", filepath.Join(certs, "1234abcd.0")); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "mozilla-B.crt")
	writePEM(t, other, b)
	if err := os.Symlink(other, filepath.Join(certs, "B.pem")); err != nil {
		t.Fatal(err)
	}
	junk := []byte("not a certificate\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" +
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	if err := os.WriteFile(filepath.Join(certs, "junk.pem"), junk, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", bundle)
	t.Setenv("SSL_CERT_DIR", certs+":"+filepath.Join(dir, "missing"))

	calls := 0
	appendPEM = func(p *x509.CertPool, data []byte) bool {
		calls++
		return p.AppendCertsFromPEM(data)
	}
	t.Cleanup(func() { appendPEM = (*x509.CertPool).AppendCertsFromPEM })
	got, err := loadRoots()
	if err != nil {
		t.Fatalf("loadRoots: %v", err)
	}
	// crypto/x509's loader: the bundle, then every file of the directory
	// but the hash link, each appended whole.
	want := x509.NewCertPool()
	for _, f := range []string{bundle, filepath.Join(certs, "A.pem"), filepath.Join(certs, "B.pem"),
		filepath.Join(certs, "C.pem"), filepath.Join(certs, "ca-certificates.crt"), filepath.Join(certs, "junk.pem")} {
		data, err := os.ReadFile(f) //nolint:gosec // the test's own files
		if err != nil {
			t.Fatal(err)
		}
		want.AppendCertsFromPEM(data)
	}
	if !got.Equal(want) {
		t.Errorf("the pool differs from what crypto/x509 would load from the same files")
	}
	// A and B from the bundle, C from its file, the unparseable block once.
	if calls != 4 {
		t.Errorf("%d PEM blocks went to crypto/x509 for 3 distinct certificates and one broken one, want 4", calls)
	}
}

// TestLoadErrorsLikeCryptoX509: missing files and directories are no
// error; an unreadable bundle with nothing else is.
func TestLoadErrorsLikeCryptoX509(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SSL_CERT_FILE", filepath.Join(dir, "missing.crt"))
	t.Setenv("SSL_CERT_DIR", filepath.Join(dir, "missing"))
	p, err := loadRoots()
	if err != nil || p == nil {
		t.Errorf("nothing to load: got %v, %v; want an empty pool and no error", p, err)
	}
	t.Setenv("SSL_CERT_FILE", dir) // a directory: reading it fails
	if p, err := loadRoots(); err == nil || p != nil {
		t.Errorf("an unreadable bundle and no certificate: got %v, %v; want the error", p, err)
	}
}

func newCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func writePEM(t *testing.T, path string, certs ...*x509.Certificate) {
	t.Helper()
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyStartsTheLoadAtInit: only `icloudmon verify` (whatever global
// flags come first) starts loading the roots before main.
func TestVerifyStartsTheLoadAtInit(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"verify"}, true},
		{[]string{"verify", "--config", "/etc/icloudmon.yml", "-o", "json"}, true},
		{[]string{"--config", "/etc/icloudmon.yml", "verify"}, true},
		{[]string{"--config=/etc/icloudmon.yml", "verify", "--account", "a"}, true},
		{[]string{"--config", "verify", "version"}, false},
		{[]string{"version"}, false},
		{[]string{"run", "verify"}, false},
		{[]string{"config", "check"}, false},
		{[]string{"--help"}, false},
		{nil, false},
	} {
		if got := wanted(c.args); got != c.want {
			t.Errorf("wanted(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}
