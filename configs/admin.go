package configs

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// AdminTLSAuto is admin.tls's one value: serve the admin listener with a
// self-signed certificate that serve makes on first start.
const AdminTLSAuto = "auto"

// AdminTLS reports whether the admin listener speaks TLS. Call after
// Validate.
func (c *Config) AdminTLS() bool {
	return c.Admin.TLS == AdminTLSAuto || c.Admin.TLSCert != ""
}

// checkAdminTLS refuses an admin listener off loopback without TLS: the
// admin API serves every capture and the browser session cookie, which
// must not cross a network in clear.
func (c *Config) checkAdminTLS() error {
	a := c.Admin
	switch {
	case a.TLS != "" && a.TLS != AdminTLSAuto:
		return &KeyError{"admin.tls", fmt.Sprintf("%q: must be auto or empty (then set tls_cert and tls_key for a certificate of your own)", a.TLS)}
	case (a.TLSCert == "") != (a.TLSKey == ""):
		return &KeyError{"admin.tls_cert", "tls_cert and tls_key go together: set both, or neither"}
	case a.TLS == AdminTLSAuto && a.TLSCert != "":
		return &KeyError{"admin.tls", "auto makes a certificate: leave it empty when you set tls_cert and tls_key"}
	}
	for i, n := range a.TLSNames {
		if _, err := netip.ParseAddr(n); err != nil && !validName(n) {
			return &KeyError{fmt.Sprintf("admin.tls_names[%d]", i), fmt.Sprintf("%q: must be a DNS name or an IP address", n)}
		}
	}
	if !c.AdminTLS() && !Loopback(c.Admin.Listen) {
		return &KeyError{"admin.listen", fmt.Sprintf("%q is not a loopback address, and the admin API and review UI "+
			"serve every capture: off loopback they need TLS. Set admin.tls: auto (a self-signed certificate for "+
			"admin.tls_names) or admin.tls_cert and admin.tls_key, or listen on 127.0.0.1", c.Admin.Listen)}
	}
	return nil
}

// Loopback reports whether a host:port listens on loopback only.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func validName(n string) bool {
	for _, l := range strings.Split(strings.TrimSuffix(n, "."), ".") {
		if !validLabel(l) {
			return false
		}
	}
	return n != ""
}
