//go:build !windows

package doctor

import "crypto/x509"

// machineTrust verifies the CA against the system roots: off Windows, what
// Go's own clients and most others trust.
func machineTrust(ca *x509.Certificate) (status, msg string) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		return checkWarn, "cannot read this machine's certificate store: " + errString(err)
	}
	if _, err := ca.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return checkWarn, "this machine does not trust the Telltale CA (" + shortErr(err) + "). " + trustHint
	}
	return checkOK, "this machine's certificate store trusts the Telltale CA"
}

func errString(err error) string {
	if err == nil {
		return "no roots"
	}
	return shortErr(err)
}
