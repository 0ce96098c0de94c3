package proxy

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"testing"
)

// TestTLSInfo_CachedNames: the cipher suite names and leaf hashes that
// tlsInfo keeps between responses are what crypto/tls and SHA-256 give,
// for every suite, an unknown one, and certificates that alternate.
func TestTLSInfo_CachedNames(t *testing.T) {
	for _, c := range append(tls.CipherSuites(), append(tls.InsecureCipherSuites(), &tls.CipherSuite{ID: 0x1234})...) {
		if got, want := cipherSuiteName(c.ID), tls.CipherSuiteName(c.ID); got != want {
			t.Errorf("suite %#04x: got %q, want %q", c.ID, got, want)
		}
	}
	a, b := &x509.Certificate{Raw: []byte("leaf a")}, &x509.Certificate{Raw: []byte("leaf b")}
	for _, c := range []*x509.Certificate{a, a, b, a, b, b} {
		sum := sha256.Sum256(c.Raw)
		if got, want := leafSHA256(c), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: got %s, want %s", c.Raw, got, want)
		}
	}
}
