package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/telltale/telltale/configs"
)

// The admin listener's TLS (admin.tls, admin.tls_cert, admin.tls_key).
//
// "auto" makes a self-signed certificate in DATA/admin-tls rather than
// one from the interception CA: that CA's name constraints permit only the
// intercepted domains and exclude every IP address, so it cannot vouch
// for this host, and widening them would make the one certificate that
// license servers trust for the vendor's names good for more. The auto
// certificate is no CA (it can sign nothing); a browser trusts it when
// the user imports it or checks the fingerprint serve prints.
const (
	adminTLSDir      = "admin-tls"
	adminTLSCertFile = "cert.pem" // 0644
	adminTLSKeyFile  = "key.pem"  // 0600
	adminTLSLifetime = 398 * 24 * time.Hour
	adminTLSRenew    = 30 * 24 * time.Hour
)

// adminTLS is the admin listener's TLS: the certificate to serve, the file
// that clients (telltale ui, list, show) trust, and the name they check.
type adminTLS struct {
	config     *tls.Config
	certFile   string
	serverName string
	sha256     string // of the leaf, hex
}

// loadAdminTLS returns nil when the admin listener speaks plain HTTP.
func loadAdminTLS(cfg *configs.Config) (*adminTLS, error) {
	a := cfg.Admin
	switch {
	case a.TLSCert != "":
		pair, err := tls.LoadX509KeyPair(a.TLSCert, a.TLSKey)
		if err != nil {
			return nil, configErr(fmt.Errorf("admin.tls_cert and admin.tls_key: %w", err))
		}
		return newAdminTLS(pair, a.TLSCert)
	case a.TLS == configs.AdminTLSAuto:
		return autoAdminTLS(cfg)
	}
	return nil, nil
}

func newAdminTLS(pair tls.Certificate, certFile string) (*adminTLS, error) {
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, configErr(fmt.Errorf("admin TLS certificate: %w", err))
	}
	name := "localhost"
	if !slices.Contains(leaf.DNSNames, name) {
		switch {
		case len(leaf.DNSNames) > 0:
			name = leaf.DNSNames[0]
		case len(leaf.IPAddresses) > 0:
			name = leaf.IPAddresses[0].String()
		}
	}
	sum := sha256.Sum256(leaf.Raw)
	return &adminTLS{
		config:     &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12},
		certFile:   certFile,
		serverName: name,
		sha256:     hex.EncodeToString(sum[:]),
	}, nil
}

// autoAdminTLS loads DATA/admin-tls, making a new certificate when there
// is none, it misses a name, or it expires within adminTLSRenew.
func autoAdminTLS(cfg *configs.Config) (*adminTLS, error) {
	dir := filepath.Join(cfg.DataDir, adminTLSDir)
	certPath, keyPath := filepath.Join(dir, adminTLSCertFile), filepath.Join(dir, adminTLSKeyFile)
	dns, ips := adminTLSNames(cfg)
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err == nil && autoCertFits(pair, dns, ips) {
		return newAdminTLS(pair, certPath)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("admin TLS: %w (remove %s to make a new certificate)", err, dir)
	}
	if err := writeAutoCert(dir, certPath, keyPath, dns, ips); err != nil {
		return nil, fmt.Errorf("admin TLS: %w", err)
	}
	if pair, err = tls.LoadX509KeyPair(certPath, keyPath); err != nil {
		return nil, fmt.Errorf("admin TLS: %w", err)
	}
	return newAdminTLS(pair, certPath)
}

// adminTLSNames are admin.tls_names, else this host's name, localhost,
// loopback and the listen address (every interface's when it listens on
// all of them).
func adminTLSNames(cfg *configs.Config) (dns []string, ips []net.IP) {
	names := cfg.Admin.TLSNames
	if len(names) == 0 {
		if h, err := os.Hostname(); err == nil && h != "" {
			names = append(names, h)
		}
		names = append(names, "localhost", "127.0.0.1", "::1")
		host, _, _ := net.SplitHostPort(cfg.Admin.Listen)
		if ip, err := netip.ParseAddr(host); err == nil && !ip.IsUnspecified() {
			names = append(names, host)
		} else {
			names = append(names, interfaceIPs()...)
		}
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			ips = append(ips, ip)
		} else if !slices.Contains(dns, n) {
			dns = append(dns, n)
		}
	}
	return dns, ips
}

func interfaceIPs() []string {
	addrs, _ := net.InterfaceAddrs()
	var out []string
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
			out = append(out, ipn.IP.String())
		}
	}
	return out
}

func autoCertFits(pair tls.Certificate, dns []string, ips []net.IP) bool {
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || time.Until(leaf.NotAfter) < adminTLSRenew {
		return false
	}
	for _, n := range dns {
		if leaf.VerifyHostname(n) != nil {
			return false
		}
	}
	for _, ip := range ips {
		if leaf.VerifyHostname(ip.String()) != nil {
			return false
		}
	}
	return true
}

func writeAutoCert(dir, certPath, keyPath string, dns []string, ips []net.IP) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "Telltale admin " + strings.Join(dns, " "), Organization: []string{"Telltale"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(adminTLSLifetime), // within the 398 days browsers accept
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     dns,
		IPAddresses:  ips,
		// Not a CA: trusting this certificate trusts this listener only.
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}
