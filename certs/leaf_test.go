package certs

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/wine"
)

func verify(a *Authority, cert *x509.Certificate, name string, now time.Time) error {
	_, err := cert.Verify(x509.VerifyOptions{
		DNSName:     name,
		Roots:       caPool(a),
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

func TestAuthority_Leaf_VerifiesAgainstCA(t *testing.T) {
	clock := newClock()
	a := MustNewAuthority(t, clock)
	for _, host := range []string{"las.cloud.com", "x.citrixworkspacesapi.net"} {
		c, err := a.Leaf(host)
		if err != nil {
			t.Fatalf("Leaf(%q): %v", host, err)
		}
		if err := verify(a, c.Leaf, host, clock.Now()); err != nil {
			t.Errorf("Verify leaf for %q: %v", host, err)
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := leaf.DNSNames; !slices.Equal(got, []string{host}) {
			t.Errorf("SANs = %q, want [%q]", got, host)
		}
		if len(leaf.IPAddresses) != 0 || leaf.IsCA {
			t.Errorf("leaf IPs=%v IsCA=%v, want none and false", leaf.IPAddresses, leaf.IsCA)
		}
		if got := leaf.ExtKeyUsage; !slices.Equal(got, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
			t.Errorf("ExtKeyUsage = %v, want [ServerAuth]", got)
		}
		if got, want := leaf.NotBefore, t0.Add(-time.Hour); !got.Equal(want) {
			t.Errorf("NotBefore = %v, want %v", got, want)
		}
		if got, want := leaf.NotAfter, t0.Add(7*24*time.Hour); !got.Equal(want) {
			t.Errorf("NotAfter = %v, want %v", got, want)
		}
		if got, want := leaf.AuthorityKeyId, a.Certificate().SubjectKeyId; !slices.Equal(got, want) {
			t.Errorf("AuthorityKeyId = %x, want %x", got, want)
		}
		if n := leaf.SerialNumber.BitLen(); n > 128 || n < 64 {
			t.Errorf("serial has %d bits, want a 128-bit random number", n)
		}
		if len(c.Certificate) != 2 || !slices.Equal(c.Certificate[1], a.CertDER()) {
			t.Errorf("chain has %d certificates, want leaf then CA", len(c.Certificate))
		}
		key, ok := c.PrivateKey.(*ecdsa.PrivateKey)
		if !ok || key.Curve != elliptic.P256() || !key.PublicKey.Equal(leaf.PublicKey) {
			t.Errorf("private key %T does not match the leaf's P-256 public key", c.PrivateKey)
		}
		if key.PublicKey.Equal(a.Certificate().PublicKey) {
			t.Errorf("leaf reuses the CA key")
		}
	}
}

// forge signs a leaf with the CA key directly, bypassing Leaf's checks, as
// a stolen CA key would.
func forge(t *testing.T, a *Authority, tmpl *x509.Certificate) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(42)
	tmpl.NotBefore, tmpl.NotAfter = t0.Add(-time.Hour), t0.Add(24*time.Hour)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.Certificate(), &key.PublicKey, a.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestAuthority_ForgedLeafOutsideConstraintsFails(t *testing.T) {
	clock := newClock()
	a := MustNewAuthority(t, clock)
	for _, tc := range []struct {
		name string
		tmpl *x509.Certificate
	}{
		{"evil.example", &x509.Certificate{Subject: pkix.Name{CommonName: "evil.example"}, DNSNames: []string{"evil.example"}}},
		{"127.0.0.1", &x509.Certificate{IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}},
		{"::1", &x509.Certificate{IPAddresses: []net.IP{net.IPv6loopback}}},
		// A permitted SAN does not launder a forbidden one.
		{"las.cloud.com", &x509.Certificate{DNSNames: []string{"las.cloud.com", "evil.example"}}},
	} {
		err := verify(a, forge(t, a, tc.tmpl), tc.name, clock.Now())
		var invalid x509.CertificateInvalidError
		if !errors.As(err, &invalid) || invalid.Reason != x509.CANotAuthorizedForThisName {
			t.Errorf("Verify forged %q: got %v, want CANotAuthorizedForThisName", tc.name, err)
		}
	}
	// The same forgery inside the constraints verifies, so the failures
	// above are the constraints at work.
	ok := forge(t, a, &x509.Certificate{DNSNames: []string{"las.cloud.com"}})
	if err := verify(a, ok, "las.cloud.com", clock.Now()); err != nil {
		t.Errorf("Verify permitted forgery: %v", err)
	}
}

func TestAuthority_Leaf_NotPermitted(t *testing.T) {
	a := MustNewAuthority(t, newClock())
	for _, host := range []string{
		"evil.example", "127.0.0.1", "::1", "[::1]", "", "cloud.com", "las.cloud.com.evil.example",
		"*.citrixworkspacesapi.net", "las.cloud.com:443",
	} {
		c, err := a.Leaf(host)
		if !errors.Is(err, ErrNotPermitted) || c != nil {
			t.Errorf("Leaf(%q) = %v, %v; want nil, %v", host, c, err, ErrNotPermitted)
		}
	}
	if n := len(a.leaves); n != 0 {
		t.Errorf("cache holds %d leaves after refusals, want 0", n)
	}
}

func TestAuthority_Leaf_CacheHit(t *testing.T) {
	a := MustNewAuthority(t, newClock())
	first, err := a.Leaf("las.cloud.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"las.cloud.com", "LAS.cloud.com", "las.cloud.com."} {
		got, err := a.Leaf(host)
		if err != nil {
			t.Fatal(err)
		}
		if got != first {
			t.Errorf("Leaf(%q) = %p, want cached %p", host, got, first)
		}
	}
	other, err := a.Leaf("x.citrixworkspacesapi.net")
	if err != nil {
		t.Fatal(err)
	}
	if other == first {
		t.Errorf("different hosts share one leaf")
	}
}

func TestAuthority_Leaf_RemintsAfterThreeQuarters(t *testing.T) {
	clock := newClock()
	a := MustNewAuthority(t, clock)
	first, err := a.Leaf("las.cloud.com")
	if err != nil {
		t.Fatal(err)
	}
	// Validity is 7d plus the 1h backdating; a quarter is 42h15m.
	clock.Add(5 * 24 * time.Hour) // 48h left
	if got, _ := a.Leaf("las.cloud.com"); got != first {
		t.Errorf("with 48h left: got a new leaf, want the cached one")
	}
	clock.Add(24 * time.Hour) // 24h left
	second, err := a.Leaf("las.cloud.com")
	if err != nil {
		t.Fatal(err)
	}
	if second == first || second.Leaf.SerialNumber.Cmp(first.Leaf.SerialNumber) == 0 {
		t.Fatalf("with 24h left: got the cached leaf, want a new one")
	}
	if got, want := second.Leaf.NotAfter, clock.Now().Add(7*24*time.Hour); !got.Equal(want) {
		t.Errorf("new NotAfter = %v, want %v", got, want)
	}
	if got, _ := a.Leaf("las.cloud.com"); got != second {
		t.Errorf("after re-mint: got %p, want the new leaf %p cached", got, second)
	}
}

func TestAuthority_Leaf_CappedAtCANotAfter(t *testing.T) {
	clock := newClock()
	a := MustOpen(t, wine.TempDir(t), Options{Hosts: testHosts, Now: clock.Now, CAValidity: 72 * time.Hour})
	clock.Add(48 * time.Hour)
	c, err := a.Leaf("las.cloud.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Leaf.NotAfter, a.Certificate().NotAfter; !got.Equal(want) {
		t.Errorf("NotAfter = %v, want the CA's %v", got, want)
	}
	// Near the end a capped leaf cannot improve, so it stays cached.
	clock.Add(20 * time.Hour)
	if got, _ := a.Leaf("las.cloud.com"); got != c {
		t.Errorf("capped leaf re-minted, want it cached until the CA expires")
	}
	clock.Add(5 * time.Hour)
	if _, err := a.Leaf("las.cloud.com"); err == nil {
		t.Errorf("Leaf after the CA expired: got nil error, want one")
	}
}

func TestAuthority_Leaf_ValidityCappedAt825Days(t *testing.T) {
	a := MustOpen(t, wine.TempDir(t), Options{Hosts: testHosts, Now: newClock().Now, LeafValidity: 1000 * 24 * time.Hour})
	c, err := a.Leaf("las.cloud.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Leaf.NotAfter, t0.Add(825*24*time.Hour); !got.Equal(want) {
		t.Errorf("NotAfter = %v, want %v", got, want)
	}
}

func TestAuthority_Leaf_ConcurrentFirstRequestsMintOnce(t *testing.T) {
	a := MustNewAuthority(t, newClock())
	const n = 16
	got := make([]*tls.Certificate, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			c, err := a.Leaf("las.cloud.com")
			if err != nil {
				t.Error(err)
			}
			got[i] = c
		})
	}
	close(start)
	wg.Wait()
	for i, c := range got {
		if c != got[0] {
			t.Errorf("caller %d got %p, want %p: the host was minted more than once", i, c, got[0])
		}
	}
}

func TestAuthority_Leaf_CacheIsBounded(t *testing.T) {
	a := MustNewAuthority(t, newClock())
	for i := range maxCachedLeaves + 10 {
		if _, err := a.Leaf(fmt.Sprintf("h%d.citrixworkspacesapi.net", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(a.leaves); n > maxCachedLeaves {
		t.Errorf("cache holds %d leaves, want at most %d", n, maxCachedLeaves)
	}
}

// handshake runs a TLS handshake over net.Pipe and returns both sides'
// errors and, on success, a line echoed from server to client.
func handshake(t *testing.T, server, client *tls.Config) (state tls.ConnectionState, clientErr, serverErr error) {
	t.Helper()
	c1, c2 := net.Pipe()
	deadline := time.Now().Add(10 * time.Second)
	c1.SetDeadline(deadline)
	c2.SetDeadline(deadline)
	defer c1.Close()
	defer c2.Close()
	srv, cli := tls.Server(c1, server), tls.Client(c2, client)
	errc := make(chan error, 1)
	go func() {
		err := srv.Handshake()
		if err == nil {
			_, err = srv.Write([]byte("hello\n"))
		}
		if err != nil {
			c1.Close()
		}
		errc <- err
	}()
	clientErr = cli.Handshake()
	if clientErr == nil {
		var line string
		line, clientErr = bufio.NewReader(cli).ReadString('\n')
		if clientErr == nil && line != "hello\n" {
			clientErr = fmt.Errorf("read %q, want %q", line, "hello\n")
		}
	}
	if clientErr != nil {
		c2.Close()
	}
	return cli.ConnectionState(), clientErr, <-errc
}

func TestAuthority_ServerConfig_Handshake(t *testing.T) {
	clock := newClock()
	a := MustNewAuthority(t, clock)
	state, cerr, serr := handshake(t, a.ServerConfig("las.cloud.com:443"), &tls.Config{
		RootCAs:    caPool(a),
		ServerName: "las.cloud.com",
		NextProtos: []string{"h2", "http/1.1"},
		Time:       clock.Now,
	})
	if cerr != nil || serr != nil {
		t.Fatalf("handshake: client %v, server %v", cerr, serr)
	}
	if got, want := state.NegotiatedProtocol, "http/1.1"; got != want {
		t.Errorf("ALPN = %q, want %q", got, want)
	}
	if got := state.PeerCertificates[0].DNSNames; !slices.Equal(got, []string{"las.cloud.com"}) {
		t.Errorf("served SANs = %q, want [las.cloud.com]", got)
	}
	if got := state.Version; got < tls.VersionTLS12 {
		t.Errorf("version = %x, want at least TLS 1.2", got)
	}
}

func TestAuthority_ServerConfig_NoSNIFallsBackToHost(t *testing.T) {
	clock := newClock()
	a := MustNewAuthority(t, clock)
	// Without a ServerName Go sends no SNI; verify by hand instead.
	_, cerr, serr := handshake(t, a.ServerConfig("x.citrixworkspacesapi.net"), &tls.Config{
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if cs.ServerName != "" {
				return fmt.Errorf("client sent SNI %q, want none", cs.ServerName)
			}
			return verify(a, cs.PeerCertificates[0], "x.citrixworkspacesapi.net", clock.Now())
		},
	})
	if cerr != nil || serr != nil {
		t.Fatalf("handshake: client %v, server %v", cerr, serr)
	}
}

func TestAuthority_ServerConfig_RefusesUnpermittedSNI(t *testing.T) {
	clock := newClock()
	a := MustNewAuthority(t, clock)
	_, cerr, serr := handshake(t, a.ServerConfig("las.cloud.com"), &tls.Config{
		RootCAs:    caPool(a),
		ServerName: "evil.example",
		Time:       clock.Now,
	})
	if cerr == nil {
		t.Errorf("client handshake with SNI evil.example succeeded, want failure")
	}
	if !errors.Is(serr, ErrNotPermitted) {
		t.Errorf("server error = %v, want %v", serr, ErrNotPermitted)
	}
}

func TestAuthority_ServerConfig_RefusesOldTLS(t *testing.T) {
	clock := newClock()
	a := MustNewAuthority(t, clock)
	_, cerr, _ := handshake(t, a.ServerConfig("las.cloud.com"), &tls.Config{
		RootCAs:    caPool(a),
		ServerName: "las.cloud.com",
		MinVersion: tls.VersionTLS10,
		MaxVersion: tls.VersionTLS11,
		Time:       clock.Now,
	})
	if cerr == nil {
		t.Errorf("TLS 1.1 handshake succeeded, want failure")
	}
}

func BenchmarkAuthority_Leaf_CacheHit(b *testing.B) {
	a := MustNewAuthority(b, newClock())
	if _, err := a.Leaf("las.cloud.com"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := a.Leaf("las.cloud.com"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthority_Leaf_Mint(b *testing.B) {
	a := MustNewAuthority(b, newClock())
	for i := 0; b.Loop(); i++ {
		if _, err := a.Leaf(fmt.Sprintf("h%d.citrixworkspacesapi.net", i)); err != nil {
			b.Fatal(err)
		}
	}
}
