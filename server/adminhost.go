package server

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
)

// The admin API checks the Host header of every request against the
// names this listener answers to, so that a web page whose name an
// attacker re-points at 127.0.0.1 (DNS rebinding) cannot reach it from a
// browser: its requests carry the attacker's name. Accepted: localhost,
// loopback IPs, admin.listen's host (with every address of this host and
// its name when that is unspecified), admin.tls_names and the admin TLS
// certificate's names, each with the listener's port (none for 80 or 443
// by scheme). Anything else is answered 421 Misdirected Request.

type adminHosts struct {
	names     map[string]bool
	port      string
	anyLocal  bool // admin.listen is unspecified: any address of this host
	defPort   string
	listening string
}

func (s *Server) adminHosts() *adminHosts {
	host, port, _ := net.SplitHostPort(s.adminLn.Addr().String())
	h := &adminHosts{names: map[string]bool{"localhost": true}, port: port, defPort: "80", listening: s.cfg.Admin.Listen}
	if s.adminTLS != nil {
		h.defPort = "443"
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		h.anyLocal = true
		if name, err := os.Hostname(); err == nil {
			h.names[strings.ToLower(name)] = true
		}
	} else {
		h.add(host)
	}
	if lh, _, err := net.SplitHostPort(s.cfg.Admin.Listen); err == nil && lh != "" {
		h.add(lh)
	}
	for _, n := range s.cfg.Admin.TLSNames {
		h.add(n)
	}
	if s.adminTLS != nil {
		if leaf, err := x509.ParseCertificate(s.adminTLS.config.Certificates[0].Certificate[0]); err == nil {
			for _, n := range leaf.DNSNames {
				h.add(n)
			}
			for _, ip := range leaf.IPAddresses {
				h.add(ip.String())
			}
		}
	}
	return h
}

func (h *adminHosts) add(name string) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if ip, err := netip.ParseAddr(name); err == nil {
		name = ip.Unmap().String()
	}
	h.names[name] = true
}

// ok reports whether a request's Host names this listener.
func (h *adminHosts) ok(hostHeader string) bool {
	if hostHeader == "" {
		return true // HTTP/1.0 without Host: no browser sends that
	}
	host, port, err := net.SplitHostPort(hostHeader)
	if err != nil {
		host, port = hostHeader, h.defPort
	}
	if port != h.port {
		return false
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return h.names[host]
	}
	ip = ip.Unmap()
	return ip.IsLoopback() || h.names[ip.String()] || h.anyLocal && ownAddr(ip)
}

func ownAddr(ip netip.Addr) bool {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Unmap() == ip {
			return true
		}
	}
	return false
}

// checkHost answers 421 to a request whose Host is not this listener's.
func (h *adminHosts) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.ok(r.Host) {
			w.Header().Set("Connection", "close")
			http.Error(w, fmt.Sprintf("telltale: Host %q is not this admin listener (admin.listen %s; add a name to admin.tls_names): "+
				"refused, so that a web page cannot reach the admin API by re-pointing its own name here", r.Host, h.listening),
				http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}
