package testbed

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// authority is the simulated cloud's own CA. It lives only in memory: a test
// trusts it through CAPEM or RootCAs, and nothing is ever installed.
type authority struct {
	cert    *x509.Certificate
	certPEM []byte
	key     *ecdsa.PrivateKey
}

func newAuthority(now time.Time) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ca key: %w", err)
	}
	tmpl, err := certTemplate(now, &key.PublicKey)
	if err != nil {
		return nil, err
	}
	tmpl.Subject = pkix.Name{
		Organization: []string{"Telltale testbed"},
		CommonName:   "Telltale testbed simulated Citrix cloud CA",
	}
	tmpl.NotAfter = now.AddDate(1, 0, 0)
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	tmpl.BasicConstraintsValid = true
	tmpl.IsCA = true
	tmpl.MaxPathLenZero = true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create ca certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse ca certificate: %w", err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return &authority{cert: cert, certPEM: pemBytes, key: key}, nil
}

// issue signs one server certificate carrying every simulated host name, so
// that a single listener can answer for all of them whatever SNI arrives.
func (a *authority) issue(now time.Time, hosts []string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate server key: %w", err)
	}
	tmpl, err := certTemplate(now, &key.PublicKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl.Subject = pkix.Name{Organization: []string{"Telltale testbed"}, CommonName: hosts[0]}
	tmpl.DNSNames = append([]string{"localhost"}, hosts...)
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	// Apple and some TLS stacks reject server certificates valid for more
	// than 398 days: https://support.apple.com/en-us/102028
	tmpl.NotAfter = now.AddDate(0, 0, 397)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("parse server certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// certTemplate holds what the CA and server certificates share: a 128-bit
// random serial, a SubjectKeyId derived from the public key (as mkcert does)
// and a NotBefore an hour back to absorb clock skew.
func certTemplate(now time.Time, pub *ecdsa.PublicKey) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generate serial: %w", err)
	}
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	var info struct {
		Algorithm        pkix.AlgorithmIdentifier
		SubjectPublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, fmt.Errorf("decode public key: %w", err)
	}
	ski := sha1.Sum(info.SubjectPublicKey.Bytes)
	return &x509.Certificate{
		SerialNumber: serial,
		SubjectKeyId: ski[:],
		NotBefore:    now.Add(-time.Hour),
	}, nil
}
