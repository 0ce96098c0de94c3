package doctor

import (
	"net"
	"net/netip"
	"strings"
)

// The License Server's outbound proxy. Windows has several proxy settings
// (WinHTTP's machine-wide one, WinINet's per account, Java's, .NET's), and
// Citrix documents the License Server's own in its Licensing "Get started"
// article ("Configure a proxy server manually"). doctor reads the one it
// can, WinHTTP's (`netsh winhttp show proxy`), and says which it cannot.

// proxyCannot is what every proxy line adds: what doctor does not see.
const proxyCannot = "; doctor cannot read the License Server's own proxy setting (Citrix Licensing, Get started: " +
	"\"Configure a proxy server manually\") nor per-account WinINet settings: see docs/windows.md, step 5"

// winHTTPProxy is the machine's WinHTTP proxy: Direct, or Proxy (as netsh
// shows it: "host:port" or "http=host:port;https=host:port") and Bypass.
type winHTTPProxy struct {
	Direct        bool
	Proxy, Bypass string
}

// proxyVerdict compares the WinHTTP proxy with Telltale's listen address.
func proxyVerdict(p winHTTPProxy, listen string) (status, msg string) {
	if p.Direct || p.Proxy == "" {
		return checkWarn, "WinHTTP: direct access (no proxy), so WinHTTP clients do not go through Telltale (" + listen + ")" + proxyCannot
	}
	addr := httpsProxy(p.Proxy)
	if sameListener(addr, listen) {
		return checkOK, "WinHTTP proxy " + p.Proxy + " is Telltale's listen address (bypass: " + orNone(p.Bypass) + ")" + proxyCannot
	}
	return checkWarn, "WinHTTP proxy is " + p.Proxy + ", not Telltale's listen address " + listen + proxyCannot
}

// httpsProxy picks the proxy used for https:// URLs from a WinHTTP proxy
// list: the https= entry, else the one without a scheme.
func httpsProxy(list string) string {
	var any string
	for _, e := range strings.FieldsFunc(list, func(r rune) bool { return r == ';' || r == ' ' }) {
		scheme, addr, ok := strings.Cut(e, "=")
		switch {
		case !ok && any == "":
			any = e
		case ok && strings.EqualFold(scheme, "https"):
			return trimScheme(addr)
		}
	}
	return trimScheme(any)
}

func trimScheme(a string) string {
	if _, rest, ok := strings.Cut(a, "://"); ok {
		return strings.TrimSuffix(rest, "/")
	}
	return a
}

// sameListener reports whether a client dialling proxy reaches listen: the
// same port, and the same host, or a loopback one when Telltale listens on
// loopback or on every address.
func sameListener(proxy, listen string) bool {
	ph, pp, err1 := net.SplitHostPort(proxy)
	lh, lp, err2 := net.SplitHostPort(listen)
	if err1 != nil || err2 != nil || pp != lp {
		return false
	}
	if strings.EqualFold(ph, lh) {
		return true
	}
	loop := func(h string) bool {
		a, err := netip.ParseAddr(h)
		return strings.EqualFold(h, "localhost") || err == nil && a.IsLoopback()
	}
	la, err := netip.ParseAddr(lh)
	return loop(ph) && (loop(lh) || lh == "" || err == nil && la.IsUnspecified())
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
