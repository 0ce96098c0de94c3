package doctor

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/internal/wine"
)

// The trust check reads LocalMachine\Root: a CA only in the current user's
// own Root store (which Go's Verify on Windows also accepts) is a warning,
// since the License Server's services do not read that store.
func TestWindowsDoctor_TrustIsLocalMachineRoot(t *testing.T) {
	if wine.Running() {
		// Unresolved: a probe program finds a certificate it added to
		// LocalMachine\Root under Wine 8, but this test's addition is not
		// listed by rootHolds; until the cause is found the test runs on
		// real Windows only.
		t.Skip("Wine 8: a certificate this test adds to a Root store is not listed back (under investigation)")
	}
	dir := wine.TempDir(t)
	now := time.Now()
	writeTestCA(t, dir, now.Add(-time.Hour), now.Add(24*time.Hour), nil)
	b, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	blk, _ := pem.Decode(b)
	ca, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	check := func() (string, string) {
		var out bytes.Buffer
		(&doctor{out: &out}).checkTrust(ca)
		f := strings.Fields(out.String())
		return f[0], out.String()
	}
	// Added before the first look: Wine's crypt32 keeps the Root store it
	// first opened, so a certificate added later is not seen there.
	addRoot(t, windows.CERT_SYSTEM_STORE_CURRENT_USER, ca)
	if status, line := check(); status != checkWarn || !strings.Contains(line, "only in your own CurrentUser\\Root") {
		t.Errorf("in CurrentUser\\Root only: got %q, want a warning", line)
	}
	addRoot(t, windows.CERT_SYSTEM_STORE_LOCAL_MACHINE, ca)
	if status, line := check(); status != checkOK || !strings.Contains(line, "LocalMachine\\Root holds") {
		t.Errorf("in LocalMachine\\Root: got %q, want ok", line)
	}
	other := *ca
	other.Raw, other.RawSubjectPublicKeyInfo = []byte("another CA"), []byte("another key")
	var out bytes.Buffer
	(&doctor{out: &out}).checkTrust(&other)
	if !strings.HasPrefix(out.String(), checkWarn) || !strings.Contains(out.String(), "LocalMachine\\Root does not hold") {
		t.Errorf("a CA in no store: got %q", out.String())
	}
}

// addRoot adds ca to a Root store until the test ends.
func addRoot(t *testing.T, location uint32, ca *x509.Certificate) {
	t.Helper()
	name, _ := windows.UTF16PtrFromString("ROOT")
	st, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0, location, uintptr(unsafe.Pointer(name)))
	if err != nil {
		t.Fatalf("open Root store %#x: %v", location, err)
	}
	defer windows.CertCloseStore(st, 0)
	c, err := windows.CertCreateCertificateContext(windows.X509_ASN_ENCODING, &ca.Raw[0], uint32(len(ca.Raw)))
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CertFreeCertificateContext(c)
	var added *windows.CertContext
	if err := windows.CertAddCertificateContextToStore(st, c, windows.CERT_STORE_ADD_REPLACE_EXISTING, &added); err != nil {
		t.Skipf("cannot add to Root store %#x (needs an elevated prompt): %v", location, err)
	}
	t.Cleanup(func() {
		if err := windows.CertDeleteCertificateFromStore(added); err != nil {
			t.Errorf("remove the test CA from Root store %#x: %v", location, err)
		}
	})
}

// The proxy check reads the machine's WinHTTP proxy, as netsh sets it.
func TestWindowsDoctor_ProxyReadsWinHTTP(t *testing.T) {
	set := winhttp.NewProc("WinHttpSetDefaultProxyConfiguration")
	before, err := readWinHTTPProxy()
	if err != nil {
		t.Fatal(err)
	}
	setProxy := func(p winHTTPProxy) {
		t.Helper()
		info := winhttpProxyInfo{AccessType: winhttpNoProxy}
		if !p.Direct {
			info.AccessType = winhttpNamedProxy
			info.Proxy, _ = windows.UTF16PtrFromString(p.Proxy)
			info.Bypass, _ = windows.UTF16PtrFromString(p.Bypass)
		}
		if r, _, err := set.Call(uintptr(unsafe.Pointer(&info))); r == 0 {
			t.Skipf("WinHttpSetDefaultProxyConfiguration (needs an elevated prompt): %v", err)
		}
	}
	t.Cleanup(func() { setProxy(before) })
	cfg, _ := configs.Parse(nil)
	for _, c := range []struct {
		p      winHTTPProxy
		status string
		say    string
	}{
		{winHTTPProxy{Proxy: cfg.Listen, Bypass: "<local>"}, checkOK, "is Telltale's listen address (bypass: <local>)"},
		{winHTTPProxy{Proxy: "proxy.corp:3128"}, checkWarn, "WinHTTP proxy is proxy.corp:3128, not Telltale's"},
		{winHTTPProxy{Direct: true}, checkWarn, "direct access"},
	} {
		setProxy(c.p)
		var out bytes.Buffer
		(&doctor{out: &out, cfg: cfg}).checkProxy()
		if !strings.HasPrefix(out.String(), c.status) || !strings.Contains(out.String(), c.say) {
			t.Errorf("WinHTTP %+v: got %q, want %s saying %q", c.p, out.String(), c.status, c.say)
		}
	}
}
