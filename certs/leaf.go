package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"time"
)

// maxCachedLeaves bounds the leaf cache: a "*.suffix" pattern admits
// unboundedly many names, and clients choose the SNI.
const maxCachedLeaves = 4096

// minting is a leaf being minted; waiters block on done, then read cert/err.
type minting struct {
	done chan struct{}
	cert *tls.Certificate
	err  error
}

// Leaf returns a certificate for host signed by the CA, with the CA in its
// chain. Leaves are cached per host and minted again once less than a
// quarter of their validity remains; concurrent first requests for a host
// share one mint. Hosts outside the CA's name constraints, IP addresses and
// malformed names give an error wrapping ErrNotPermitted.
func (a *Authority) Leaf(host string) (*tls.Certificate, error) {
	name, err := normalizeHost(host)
	if err != nil {
		return nil, fmt.Errorf("leaf for %q: %w: %v", host, ErrNotPermitted, err)
	}
	if !a.permits(name) {
		return nil, fmt.Errorf("leaf for %q: %w", host, ErrNotPermitted)
	}
	now := a.now()
	a.mu.Lock()
	if c, ok := a.leaves[name]; ok && a.fresh(c.Leaf, now) {
		a.mu.Unlock()
		return c, nil
	}
	if m, ok := a.pending[name]; ok {
		a.mu.Unlock()
		<-m.done
		return m.cert, m.err
	}
	m := &minting{done: make(chan struct{})}
	a.pending[name] = m
	a.mu.Unlock()

	m.cert, m.err = a.mint(name, now)
	if m.err != nil {
		m.err = fmt.Errorf("leaf for %q: %w", host, m.err)
	}

	a.mu.Lock()
	delete(a.pending, name)
	if m.err == nil {
		a.storeLocked(name, m.cert, now)
	}
	a.mu.Unlock()
	close(m.done)
	return m.cert, m.err
}

// fresh reports whether a cached leaf can still be served at now.
func (a *Authority) fresh(leaf *x509.Certificate, now time.Time) bool {
	remaining := leaf.NotAfter.Sub(now)
	if remaining <= 0 {
		return false
	}
	if remaining >= leaf.NotAfter.Sub(leaf.NotBefore)/4 {
		return true
	}
	// A leaf cut short by the CA's expiry would come out the same again.
	return leaf.NotAfter.Equal(a.cert.NotAfter)
}

// storeLocked caches c, first making room if the cache is full: stale
// entries go, then an arbitrary eighth, so the scan is amortized.
func (a *Authority) storeLocked(name string, c *tls.Certificate, now time.Time) {
	if len(a.leaves) >= maxCachedLeaves {
		for h, old := range a.leaves {
			if !a.fresh(old.Leaf, now) {
				delete(a.leaves, h)
			}
		}
		for h := range a.leaves {
			if len(a.leaves) < maxCachedLeaves-maxCachedLeaves/8 {
				break
			}
			delete(a.leaves, h)
		}
	}
	a.leaves[name] = c
}

// mint signs a new leaf for the normalized, permitted name.
func (a *Authority) mint(name string, now time.Time) (*tls.Certificate, error) {
	notBefore := now.Add(-time.Hour) // tolerate clients whose clocks run slow
	if notBefore.Before(a.cert.NotBefore) {
		notBefore = a.cert.NotBefore
	}
	notAfter := now.Add(a.leafValidity)
	if notAfter.After(a.cert.NotAfter) {
		notAfter = a.cert.NotAfter
	}
	if !notAfter.After(now) {
		return nil, fmt.Errorf("ca expired at %s (run rotate)", a.cert.NotAfter.UTC().Format(time.RFC3339))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// Go and browsers ignore the CN, but people reading captures and
		// older tools look at it.
		Subject:   pkix.Name{CommonName: name, Organization: []string{"Telltale"}},
		DNSNames:  []string{name},
		NotBefore: notBefore,
		NotAfter:  notAfter,
		// ECDSA keys sign; KeyEncipherment would be wrong for them.
		KeyUsage: x509.KeyUsageDigitalSignature,
		// macOS/iOS require the serverAuth EKU on TLS server certificates.
		// https://support.apple.com/en-us/HT210176
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		AuthorityKeyId:        a.cert.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	return &tls.Certificate{
		Certificate: [][]byte{der, a.cert.Raw},
		PrivateKey:  key,
		Leaf:        leaf,
	}, nil
}

// ServerConfig returns the tls.Config for the client-facing side of an
// intercepted connection to host (a port, if present, is ignored). The
// certificate follows the client's SNI, falling back to host when the client
// sent none; both must be permitted by the CA. Only HTTP/1.1 is offered.
func (a *Authority) ServerConfig(host string) *tls.Config {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" {
				name = host
			}
			return a.Leaf(name)
		},
	}
}
