package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// caMaterial is a CA certificate with its key, as loaded or freshly made.
type caMaterial struct {
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
	keyPEM  []byte // set only for a new CA, until it is written
}

// newCA creates a CA constrained to the subtrees hosts need. Nothing is
// written.
func newCA(opts Options) (*caMaterial, error) {
	domains, err := permittedDomains(opts.Hosts)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ca key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	now := opts.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   "Telltale interception CA",
			Organization: []string{"Telltale"},
			// Tells two CAs apart in a trust store listing.
			OrganizationalUnit: []string{hostname() + " " + now.UTC().Format(time.RFC3339)},
		},
		SubjectKeyId: skid,
		NotBefore:    now.Add(-time.Hour), // tolerate clients whose clocks run slow
		NotAfter:     opts.caNotAfter(now),

		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,

		PermittedDNSDomainsCritical: true, // marks the whole extension critical
		PermittedDNSDomains:         domains,
		ExcludedIPRanges: []*net.IPNet{
			{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)},
			{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)},
		},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create ca certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse new ca certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal ca key: %w", err)
	}
	return &caMaterial{
		cert:    cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		key:     key,
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// save writes a new CA into dir: the key first, so that a crash in between
// leaves a lone key (which Open refuses) rather than a certificate users may
// already trust with no key behind it.
func (m *caMaterial) save(dir string) error {
	if err := writeFileAtomic(filepath.Join(dir, caKeyFile), m.keyPEM, keyPerm); err != nil {
		return err
	}
	m.keyPEM = nil
	return writeFileAtomic(filepath.Join(dir, caCertFile), m.certPEM, publicPerm)
}

// loadCA reads and checks the CA in dir.
func loadCA(dir string, now time.Time) (*caMaterial, error) {
	keyPath := filepath.Join(dir, caKeyFile)
	keyPEM, err := readKeyFile(keyPath)
	if err != nil {
		return nil, err
	}
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", keyPath, err)
	}
	certPath := filepath.Join(dir, caCertFile)
	certPEM, err := readFile(certPath)
	if err != nil {
		return nil, err
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", certPath, err)
	}
	if err := checkCA(cert, key, now); err != nil {
		return nil, fmt.Errorf("%s: %w", certPath, err)
	}
	return &caMaterial{cert: cert, certPEM: certPEM, key: key}, nil
}

// checkCA refuses a certificate that cannot serve as Telltale's CA.
func checkCA(cert *x509.Certificate, key crypto.Signer, now time.Time) error {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return fmt.Errorf("does not match the key in %s", caKeyFile)
	}
	if !cert.IsCA || !cert.BasicConstraintsValid {
		return errors.New("not a CA certificate")
	}
	// An unconstrained CA in users' trust stores could impersonate any site;
	// Telltale never makes one, so one appearing here is a mistake.
	if len(cert.PermittedDNSDomains) == 0 {
		return errors.New("no permitted DNS name constraints; refusing an unconstrained interception CA (run rotate)")
	}
	if now.After(cert.NotAfter) {
		return fmt.Errorf("expired at %s (run rotate)", cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// randomSerial returns a positive 128-bit random serial number.
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("generate serial: %w", err)
		}
		if n.Sign() > 0 { // RFC 5280 wants positive serials
			return n, nil
		}
	}
}

// subjectKeyID is the SHA-1 of the subjectPublicKey bit string, method (1)
// of RFC 5280 section 4.2.1.2, computed as mkcert does.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spkiDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	var spki struct {
		Algorithm        pkix.AlgorithmIdentifier
		SubjectPublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spkiDER, &spki); err != nil {
		return nil, fmt.Errorf("decode public key: %w", err)
	}
	sum := sha1.Sum(spki.SubjectPublicKey.Bytes)
	return sum[:], nil
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown-host"
	}
	return h
}
