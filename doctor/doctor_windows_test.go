package doctor

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
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
// since the License Server's services do not read that store. Each case
// runs in a process of its own (this test binary again): crypt32 (Wine's
// at least) keeps the Root store it first opened, so a certificate added
// after a process's first look is not seen by it.
func TestWindowsDoctor_TrustIsLocalMachineRoot(t *testing.T) {
	for _, c := range []struct{ store, want string }{
		{"none", "LocalMachine\\Root does not hold"},
		{"user", "only in your own CurrentUser\\Root"},
		{"machine", "LocalMachine\\Root holds"},
	} {
		t.Run(c.store, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestWindowsDoctor_TrustChild$", "-test.v")
			cmd.Env = append(os.Environ(), "TELLTALE_TRUST_CHILD="+c.store)
			out, err := cmd.CombinedOutput()
			if strings.Contains(string(out), "--- SKIP") {
				t.Skipf("%s", out)
			}
			if err != nil || !strings.Contains(string(out), "doctor said: ") || !strings.Contains(string(out), c.want) {
				t.Errorf("CA in %s Root store: %v, want a line saying %q\n%s", c.store, err, c.want, out)
			}
		})
	}
}

// TestWindowsDoctor_TrustChild is one case of the test above, in a fresh
// process: it puts a new CA in the store TELLTALE_TRUST_CHILD names (none,
// user or machine), then runs doctor's trust check once.
func TestWindowsDoctor_TrustChild(t *testing.T) {
	where := os.Getenv("TELLTALE_TRUST_CHILD")
	if where == "" {
		t.Skip("run by TestWindowsDoctor_TrustIsLocalMachineRoot")
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
	// Wine 8's Root stores list the host's roots (/etc/ssl/certs), and a
	// certificate added to one is seen only through the handle that added
	// it (measured: 151 roots before and after an add). There the user
	// case cannot be set up, and the machine case uses a host root.
	switch {
	case where == "user" && wine.Running():
		t.Skip("Wine 8 does not keep a certificate added to CurrentUser\\Root")
	case where == "user":
		addRoot(t, windows.CERT_SYSTEM_STORE_CURRENT_USER, ca)
	case where == "machine" && wine.Running():
		ca = firstMachineRoot(t)
	case where == "machine":
		addRoot(t, windows.CERT_SYSTEM_STORE_LOCAL_MACHINE, ca)
	}
	var out bytes.Buffer
	(&doctor{out: &out}).checkTrust(ca)
	t.Logf("doctor said: %s", out.String())
	want := map[string]string{"none": checkWarn, "user": checkWarn, "machine": checkOK}[where]
	if f := strings.Fields(out.String()); len(f) == 0 || f[0] != want {
		t.Errorf("CA in %s Root store: got %q, want %s", where, out.String(), want)
	}
}

// firstMachineRoot is a certificate LocalMachine\Root already holds.
func firstMachineRoot(t *testing.T) *x509.Certificate {
	t.Helper()
	name, _ := windows.UTF16PtrFromString("ROOT")
	st, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0,
		windows.CERT_SYSTEM_STORE_LOCAL_MACHINE|windows.CERT_STORE_READONLY_FLAG, uintptr(unsafe.Pointer(name)))
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CertCloseStore(st, 0)
	c, err := windows.CertEnumCertificatesInStore(st, nil)
	if err != nil || c == nil {
		t.Fatalf("LocalMachine\\Root is empty: %v", err)
	}
	defer windows.CertFreeCertificateContext(c)
	cert, err := x509.ParseCertificate(bytes.Clone(unsafe.Slice(c.EncodedCert, c.Length)))
	if err != nil {
		t.Fatal(err)
	}
	return cert
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
