package fakeicloud

import "encoding/pem"

// CertificatePEM is the server's test certificate in PEM form, for clients
// configured through a CA file (tls.ca_file) rather than a pool.
func (s *Server) CertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ts.Certificate().Raw})
}
