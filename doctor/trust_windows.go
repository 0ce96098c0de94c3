//go:build windows

package doctor

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// machineTrust looks for the CA in LocalMachine\Root itself, the store that
// the service (LocalSystem) and the License Server's services read. Go's
// Verify on Windows asks the current user's chain engine, which also reads
// CurrentUser\Root: a CA imported only into an administrator's own store
// would pass there and still fail for the License Server.
func machineTrust(ca *x509.Certificate) (status, msg string) {
	machine, err := rootHolds(windows.CERT_SYSTEM_STORE_LOCAL_MACHINE, ca)
	if err != nil {
		return checkWarn, fmt.Sprintf("cannot read LocalMachine\\Root: %v", err)
	}
	if machine {
		return checkOK, "LocalMachine\\Root holds the Telltale CA: the service and the License Server's services trust it"
	}
	if user, _ := rootHolds(windows.CERT_SYSTEM_STORE_CURRENT_USER, ca); user {
		return checkWarn, "the Telltale CA is only in your own CurrentUser\\Root, which the License Server's services do not read. " + trustHint
	}
	return checkWarn, "LocalMachine\\Root does not hold the Telltale CA. " + trustHint
}

// rootHolds reports whether the Root store at location (the local machine
// or the current user) holds ca: the same certificate, or one with the
// same subject and public key (a re-issued copy).
func rootHolds(location uint32, ca *x509.Certificate) (bool, error) {
	name, err := windows.UTF16PtrFromString("ROOT")
	if err != nil {
		return false, err
	}
	st, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0,
		location|windows.CERT_STORE_READONLY_FLAG, uintptr(unsafe.Pointer(name)))
	if err != nil {
		return false, err
	}
	defer windows.CertCloseStore(st, 0)
	var c *windows.CertContext
	for {
		c, _ = windows.CertEnumCertificatesInStore(st, c)
		if c == nil {
			return false, nil
		}
		raw := unsafe.Slice(c.EncodedCert, c.Length)
		if bytes.Equal(raw, ca.Raw) || sameKey(raw, ca) {
			windows.CertFreeCertificateContext(c)
			return true, nil
		}
	}
}

func sameKey(raw []byte, ca *x509.Certificate) bool {
	c, err := x509.ParseCertificate(raw)
	return err == nil && bytes.Equal(c.RawSubjectPublicKeyInfo, ca.RawSubjectPublicKeyInfo) && bytes.Equal(c.RawSubject, ca.RawSubject)
}
