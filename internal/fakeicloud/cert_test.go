package fakeicloud

import (
	"crypto/x509"
	"testing"
)

func TestCertificatePEMTrustsTheServer(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CertificatePEM()) {
		t.Fatal("CertificatePEM holds no certificate")
	}
	cert := s.ts.Certificate()
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
		t.Errorf("the PEM does not verify the server certificate: %v", err)
	}
}
