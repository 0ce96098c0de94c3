package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/internal/wine"
)

var (
	testHosts          = []string{"las.cloud.com", "*.citrixworkspacesapi.net"}
	t0                 = time.Date(2026, 11, 27, 10, 15, 0, 0, time.UTC)
	oidNameConstraints = asn1.ObjectIdentifier{2, 5, 29, 30}
)

// fakeClock is an injectable clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// MustOpen opens (or creates) a CA in dir and fails the test on error.
func MustOpen(tb testing.TB, dir string, opts Options) *Authority {
	tb.Helper()
	a, _, err := Open(dir, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	return a
}

// MustNewAuthority creates a CA for testHosts in a fresh temp dir.
func MustNewAuthority(tb testing.TB, clock *fakeClock) *Authority {
	tb.Helper()
	return MustOpen(tb, filepath.Join(wine.TempDir(tb), "ca"), Options{Hosts: testHosts, Now: clock.Now})
}

func caPool(a *Authority) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(a.Certificate())
	return pool
}

func skipOnWindows(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits do not apply on Windows")
	}
}

func TestOpen_CreatesConstrainedCA(t *testing.T) {
	clock := newClock()
	a, created, err := Open(filepath.Join(wine.TempDir(t), "ca"), Options{
		Hosts: []string{"las.cloud.com", "*.citrixworkspacesapi.net", "LAS.cloud.com", "x.citrixworkspacesapi.net"},
		Now:   clock.Now,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !created {
		t.Errorf("created = %v, want true", created)
	}
	// Parse the bytes that were written, not the in-memory template.
	block, _ := pem.Decode(a.CertPEM())
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parse ca.pem: %v", err)
	}

	if got, want := ca.PermittedDNSDomains, []string{"citrixworkspacesapi.net", "las.cloud.com"}; !slices.Equal(got, want) {
		t.Errorf("PermittedDNSDomains = %v, want %v", got, want)
	}
	if !ca.PermittedDNSDomainsCritical {
		t.Errorf("PermittedDNSDomainsCritical = false, want true")
	}
	var found bool
	for _, ext := range ca.Extensions {
		if ext.Id.Equal(oidNameConstraints) {
			found = true
			if !ext.Critical {
				t.Errorf("name constraints extension critical = false, want true")
			}
		}
	}
	if !found {
		t.Errorf("no name constraints extension")
	}
	var excluded []string
	for _, n := range ca.ExcludedIPRanges {
		excluded = append(excluded, n.String())
	}
	if want := []string{"0.0.0.0/0", "::/0"}; !slices.Equal(excluded, want) {
		t.Errorf("ExcludedIPRanges = %v, want %v", excluded, want)
	}

	if !ca.IsCA || !ca.BasicConstraintsValid || ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Errorf("basic constraints IsCA=%v valid=%v MaxPathLen=%d zero=%v, want CA with path length 0",
			ca.IsCA, ca.BasicConstraintsValid, ca.MaxPathLen, ca.MaxPathLenZero)
	}
	if got, want := ca.KeyUsage, x509.KeyUsageCertSign|x509.KeyUsageCRLSign|x509.KeyUsageDigitalSignature; got != want {
		t.Errorf("KeyUsage = %v, want %v", got, want)
	}
	pub, ok := ca.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("public key = %T, want ECDSA P-256", ca.PublicKey)
	}
	pubBytes, err := pub.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ca.SubjectKeyId, sha1.Sum(pubBytes); !bytes.Equal(got, want[:]) {
		t.Errorf("SubjectKeyId = %x, want %x", got, want)
	}
	if n := ca.SerialNumber.BitLen(); n > 128 || n < 64 {
		t.Errorf("serial has %d bits, want a 128-bit random number", n)
	}
	if got, want := ca.NotBefore, t0.Add(-time.Hour); !got.Equal(want) {
		t.Errorf("NotBefore = %v, want %v", got, want)
	}
	if got, want := ca.NotAfter, t0.AddDate(5, 0, 0); !got.Equal(want) {
		t.Errorf("NotAfter = %v, want %v", got, want)
	}
	if got, want := ca.Subject.CommonName, "Telltale interception CA"; got != want {
		t.Errorf("CN = %q, want %q", got, want)
	}
	if got, want := ca.Subject.Organization, []string{"Telltale"}; !slices.Equal(got, want) {
		t.Errorf("O = %q, want %q", got, want)
	}
	host, _ := os.Hostname()
	if got, want := ca.Subject.OrganizationalUnit, []string{host + " 2026-11-27T10:15:00Z"}; !slices.Equal(got, want) {
		t.Errorf("OU = %q, want %q", got, want)
	}
	if err := ca.CheckSignatureFrom(ca); err != nil {
		t.Errorf("self-signature: %v", err)
	}
}

func TestOpen_FileModes(t *testing.T) {
	skipOnWindows(t)
	dir := filepath.Join(wine.TempDir(t), "data", "ca")
	MustOpen(t, dir, Options{Hosts: testHosts})
	for _, tc := range []struct {
		path string
		want os.FileMode
	}{
		{dir, 0o700},
		{filepath.Join(dir, "ca-key.pem"), 0o600},
		{filepath.Join(dir, "ca.pem"), 0o644},
	} {
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tc.want {
			t.Errorf("mode of %s = %04o, want %04o", tc.path, got, tc.want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"ca-key.pem", "ca.pem"}; !slices.Equal(names, want) {
		t.Errorf("dir holds %v, want %v (no temp files left behind)", names, want)
	}
}

func TestOpen_KeyFileIsECPrivateKeyPEM(t *testing.T) {
	a := MustNewAuthority(t, newClock())
	b, err := os.ReadFile(a.KeyPath())
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(b)
	if block == nil || block.Type != "EC PRIVATE KEY" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("ca-key.pem is not a single EC PRIVATE KEY block")
	}
	key, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !key.PublicKey.Equal(a.Certificate().PublicKey) {
		t.Errorf("ca-key.pem does not match ca.pem")
	}
}

func TestOpen_ReloadsSameCA(t *testing.T) {
	dir := wine.TempDir(t)
	first := MustOpen(t, dir, Options{Hosts: testHosts})
	// Other hosts now must not change a loaded CA.
	second, created, err := Open(dir, Options{Hosts: []string{"other.example"}})
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	if created {
		t.Errorf("created = %v, want false", created)
	}
	if got, want := second.Certificate().SerialNumber, first.Certificate().SerialNumber; got.Cmp(want) != 0 {
		t.Errorf("serial = %x, want %x", got, want)
	}
	if !bytes.Equal(second.CertDER(), first.CertDER()) {
		t.Errorf("reloaded certificate differs from the created one")
	}
	if _, err := second.Leaf("las.cloud.com"); err != nil {
		t.Errorf("Leaf with reloaded CA: %v", err)
	}
}

func TestOpen_RefusesWorldReadableKey(t *testing.T) {
	skipOnWindows(t)
	dir := wine.TempDir(t)
	a := MustOpen(t, dir, Options{Hosts: testHosts})
	if err := os.Chmod(a.KeyPath(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Open(dir, Options{Hosts: testHosts})
	if !errors.Is(err, ErrInsecureKey) {
		t.Fatalf("Open error = %v, want %v", err, ErrInsecureKey)
	}
	if !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("error %q does not say to chmod 600", err)
	}
}

func TestOpen_RefusesMismatchedKey(t *testing.T) {
	dir := wine.TempDir(t)
	MustOpen(t, dir, Options{Hosts: testHosts})
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(other) // PKCS #8 is accepted too
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(filepath.Join(dir, "ca-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = Open(dir, Options{Hosts: testHosts})
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("Open error = %v, want a key mismatch", err)
	}
}

func TestOpen_RefusesLoneKey(t *testing.T) {
	dir := wine.TempDir(t)
	MustOpen(t, dir, Options{Hosts: testHosts})
	if err := os.Remove(filepath.Join(dir, "ca.pem")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	if _, _, err := Open(dir, Options{Hosts: testHosts}); err == nil {
		t.Fatalf("Open with only ca-key.pem succeeded, want an error")
	}
	after, _ := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	if !bytes.Equal(before, after) {
		t.Errorf("Open overwrote a lone ca-key.pem")
	}
}

func TestOpen_RefusesExpiredCA(t *testing.T) {
	clock := newClock()
	dir := wine.TempDir(t)
	MustOpen(t, dir, Options{Hosts: testHosts, Now: clock.Now, CAValidity: 48 * time.Hour})
	clock.Add(49 * time.Hour)
	_, _, err := Open(dir, Options{Hosts: testHosts, Now: clock.Now})
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("Open error = %v, want expired", err)
	}
	if _, err := Rotate(dir, Options{Hosts: testHosts, Now: clock.Now}); err != nil {
		t.Fatalf("Rotate of an expired CA: %v", err)
	}
}

func TestOpen_InvalidHostsCreateNothing(t *testing.T) {
	for _, hosts := range [][]string{nil, {}, {"las.cloud.com", "a..b"}, {"127.0.0.1"}, {"*.com"}} {
		dir := filepath.Join(wine.TempDir(t), "ca")
		_, _, err := Open(dir, Options{Hosts: hosts})
		if !errors.Is(err, ErrInvalidPattern) {
			t.Errorf("Open(hosts=%q) error = %v, want %v", hosts, err, ErrInvalidPattern)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("Open(hosts=%q) left %d files behind, want 0", hosts, len(entries))
		}
	}
}

func TestOpen_LogsNoKeyMaterial(t *testing.T) {
	var buf bytes.Buffer
	dir := wine.TempDir(t)
	opts := Options{Hosts: testHosts, Logger: zerolog.New(&buf)}
	MustOpen(t, dir, opts)
	if _, err := Rotate(dir, opts); err != nil {
		t.Fatal(err)
	}
	MustOpen(t, dir, Options{Hosts: append(testHosts, "new.example"), Logger: zerolog.New(&buf)})
	key, err := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	keyBody := strings.Split(string(key), "\n")[1] // first line of base64
	logged := buf.String()
	if !strings.Contains(logged, `"component":"certs"`) || !strings.Contains(logged, "new.example") {
		t.Errorf("log lacks the component or the uncovered host:\n%s", logged)
	}
	for _, secret := range []string{"PRIVATE KEY", keyBody} {
		if strings.Contains(logged, secret) {
			t.Errorf("log contains key material %q", secret)
		}
	}
}
