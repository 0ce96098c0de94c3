package doctor

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/configs"
)

func TestDoctor_CAExpiryAndClock(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := configs.Parse(nil)
	cfg.DataDir = dir
	now := time.Now()
	writeTestCA(t, filepath.Join(dir, "ca"), now.Add(-time.Hour), now.Add(10*24*time.Hour), []string{"cloud.com"})
	var out bytes.Buffer
	d := &doctor{out: &out, cfg: cfg, now: time.Now}
	ca := d.checkCA()
	lines := strings.Split(out.String(), "\n")
	wantLine(t, lines, "warn", "ca", `expires on .*, in (9|10) days: run .telltale ca rotate`)
	wantLine(t, lines, "fail", "ca", "does not cover las.citrixcloud.jp, api.citrixcloud.jp, las.cloud.us, cis.citrix.com")

	out.Reset()
	d.now = func() time.Time { return time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC) }
	d.checkClock(ca)
	wantLine(t, strings.Split(out.String(), "\n"), "fail", "clock", "2021-01-01T00:00:00Z is before this build")

	out.Reset()
	d.now = func() time.Time { return now.Add(20 * 24 * time.Hour) }
	d.checkCA()
	wantLine(t, strings.Split(out.String(), "\n"), "fail", "ca", "expired on")
}

// writeTestCA writes a CA certificate and a stand-in key file.
func writeTestCA(t *testing.T, dir string, notBefore, notAfter time.Time, domains []string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: notBefore, NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, PermittedDNSDomains: domains,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(filepath.Join(dir, "ca-key.pem"), []byte("stand-in"), 0o600)
}

func wantLine(t *testing.T, lines []string, status, check, re string) {
	t.Helper()
	pat := regexp.MustCompile(`^` + status + `\s+` + check + `\s+.*` + re)
	for _, l := range lines {
		if pat.MatchString(l) {
			return
		}
	}
	t.Errorf("no line %q %q matching %q in:\n%s", status, check, re, strings.Join(lines, "\n"))
}
