package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The local guard keeps the proxy from being a way into the machine it
// runs on: a client that may tunnel "others" must not reach the host's
// loopback services, its admin API, or the cloud metadata service on a
// link-local address. Every upstream the proxy dials itself (tunnels,
// plain-HTTP pass-through, the intercepted upstreams) is resolved first,
// every address checked, and only a checked address dialled, so a name that
// resolves elsewhere on a second lookup (DNS rebinding) cannot slip by.
//
// Refused: unspecified addresses (0.0.0.0/8, ::), loopback, link-local
// (169.254.0.0/16, fe80::/10), this host's interface addresses, each also
// as IPv4-mapped or IPv4-compatible IPv6; and this process's own listening
// ports on any of those addresses even when Policy.AllowLocal names them.
// Through a parent proxy the parent resolves names: only IP literals are
// checked there (loopback names never go through a parent).

// LocalError is a refusal by the local guard.
type LocalError struct {
	Target string     // host:port as the client asked for it
	Addr   netip.Addr // the address refused
	Why    string     // what the address is
	Own    bool       // one of this process's own ports: no exception applies
}

func (e *LocalError) Error() string {
	what := e.Target
	if h, _, _ := net.SplitHostPort(e.Target); h != e.Addr.String() {
		what += " resolves to " + e.Addr.String() + ", which"
	}
	if e.Own {
		return fmt.Sprintf("%s is %s on this proxy's own host and port (its proxy or admin listener): refused", what, e.Why)
	}
	return fmt.Sprintf("%s is %s on the proxy's own host: refused (upstream.allow_local can name it as an exception)", what, e.Why)
}

// localKind says what makes a an address of this host or its link, or "".
func localKind(a netip.Addr) string {
	a = a.Unmap()
	if b := a.As16(); a.Is6() && !a.IsLoopback() && !a.IsUnspecified() && [12]byte(b[:12]) == [12]byte{} {
		a = netip.AddrFrom4([4]byte(b[12:])) // IPv4-compatible ::a.b.c.d
	}
	switch {
	case a.IsUnspecified() || a.Is4() && a.As4()[0] == 0:
		return "an unspecified address (this host)"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsLinkLocalUnicast():
		return "a link-local address (the cloud metadata service lives there)"
	}
	return ""
}

// guard holds what the checks need beyond the policy's exceptions.
type guard struct {
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	now    func() time.Time

	mu     sync.Mutex
	ports  map[int]bool        // this process's listening ports
	own    map[netip.Addr]bool // this host's interface addresses
	ownAge time.Time           // when own was read
}

func newGuard(lookup func(context.Context, string) ([]netip.Addr, error), now func() time.Time) *guard {
	if lookup == nil {
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	return &guard{lookup: lookup, now: now, ports: map[int]bool{}}
}

// LocalGuard is the guard's check for a Dialer used outside a running
// proxy (`telltale doctor`), so that it refuses what serve would refuse:
// upstreams on this host unless allowLocal names them. It knows no
// listening ports of its own.
func LocalGuard(allowLocal []string) func(ctx context.Context, target, addr string) ([]string, error) {
	p := &Proxy{guard: newGuard(nil, time.Now)}
	p.Reload(Policy{AllowLocal: allowLocal})
	return p.vet
}

// Protect adds a listener of this process (the admin API) whose port the
// proxy refuses to reach on any local address, exceptions or not. Serve
// protects the proxy's own listener.
func (p *Proxy) Protect(addr net.Addr) {
	if ta, ok := addr.(*net.TCPAddr); ok {
		p.guard.mu.Lock()
		p.guard.ports[ta.Port] = true
		p.guard.mu.Unlock()
	}
}

// ownAddr reports whether a is one of this host's interface addresses,
// read again at most every 10 seconds (addresses change with DHCP).
func (g *guard) ownAddr(a netip.Addr) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now := g.now(); g.own == nil || now.Sub(g.ownAge) > 10*time.Second {
		g.own, g.ownAge = interfaceAddrs(), now
	}
	return g.own[a]
}

func interfaceAddrs() map[netip.Addr]bool {
	own := map[netip.Addr]bool{}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if pre, err := netip.ParsePrefix(a.String()); err == nil {
			own[pre.Addr().Unmap()] = true
		}
	}
	return own
}

// check refuses a (dialled on port) unless it is not local, or the policy
// names target or a:port as an exception.
func (g *guard) check(pol *policy, target string, a netip.Addr, port int) error {
	a = a.Unmap()
	why := localKind(a)
	if why == "" && g.ownAddr(a) {
		why = "one of its own addresses"
	}
	if why == "" {
		return nil
	}
	g.mu.Lock()
	own := g.ports[port]
	g.mu.Unlock()
	if !own && (pol.allowLocal[target] || pol.allowLocal[netip.AddrPortFrom(a, uint16(port)).String()]) {
		return nil
	}
	return &LocalError{Target: target, Addr: a, Why: why, Own: own}
}

// vet resolves addr (target after upstream.resolve) and checks every
// address it has; it returns them as ip:port, in the resolver's order, to
// be dialled instead of addr. A lookup failure is returned as it is.
func (p *Proxy) vet(ctx context.Context, target, addr string) ([]string, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, _ := strconv.Atoi(portStr)
	ips := []netip.Addr{}
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = append(ips, ip)
	} else if ips, err = p.guard.lookup(ctx, host); err != nil {
		return nil, err
	}
	pol, target := p.current(), normalTarget(target)
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		if err := p.guard.check(pol, target, ip, port); err != nil {
			return nil, err
		}
		out = append(out, net.JoinHostPort(ip.Unmap().String(), portStr))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("lookup %s: no addresses", host)
	}
	return out, nil
}

// normalTarget is host:port as exceptions are written: host lowercased,
// without a trailing dot, IPs in their canonical form.
func normalTarget(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return strings.ToLower(hostport)
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if ip, err := netip.ParseAddr(host); err == nil {
		host = ip.Unmap().String()
	}
	return net.JoinHostPort(host, port)
}

// localRefusal is the check at dispatch, before a CONNECT is answered or a
// plain request forwarded, so that the client gets a 403 and the refusal
// a denied record. It returns nil when the host is allowed or cannot be
// resolved (the dial then says why); the dial checks again.
func (p *Proxy) localRefusal(ctx context.Context, host, port string) *LocalError {
	pol := p.current()
	if pol.deny && !pol.intercept.match(host) {
		return nil // refused anyway, as others: deny
	}
	target := net.JoinHostPort(host, port)
	addr := target
	if to, ok := p.opts.Resolve[target]; ok {
		addr = to
	}
	if pf := parentFunc(p.opts.ParentProxy, p.opts.NoProxy); pf != nil {
		if u, err := pf(&url.URL{Scheme: "https", Host: target}); err == nil && u != nil {
			if h, _, _ := net.SplitHostPort(addr); !isIP(h) {
				return nil // the parent resolves names
			}
		}
	}
	_, err := p.vet(ctx, target, addr)
	var le *LocalError
	if errors.As(err, &le) {
		return le
	}
	return nil
}

func isIP(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// guardTransport makes the upstream transport's dials go through the
// guard, except those to the parent proxy, which upstream.proxy names.
func (p *Proxy) guardTransport(t *http.Transport) {
	dial := t.DialContext
	parent := ""
	if u := p.opts.ParentProxy; u != nil {
		parent = u.Host
		if u.Port() == "" {
			parent = net.JoinHostPort(u.Hostname(), map[bool]string{true: "443", false: "80"}[u.Scheme == "https"])
		}
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == parent {
			return dial(ctx, network, addr)
		}
		to := addr
		if r, ok := p.opts.Resolve[addr]; ok {
			to = r
		}
		addrs, err := p.vet(ctx, addr, to)
		if err != nil {
			return nil, err
		}
		return dialVetted(ctx, addrs, func(ctx context.Context, a string) (net.Conn, error) { return dial(ctx, network, a) })
	}
}

// denyTunnel answers a CONNECT whose dial the guard refused (the name
// resolved to a local address only on the second lookup) with a 403, and
// records the refusal.
func (p *Proxy) denyTunnel(nc net.Conn, host, port string, le *LocalError) {
	target := net.JoinHostPort(host, port)
	r := &http.Request{Method: http.MethodConnect, Host: target, URL: &url.URL{Host: target},
		Proto: "HTTP/1.1", RemoteAddr: nc.RemoteAddr().String(), Header: http.Header{}}
	if s := senderOf(nc); s != nil {
		r = r.WithContext(context.WithValue(context.Background(), senderKey{}, s))
	}
	p.deny(r, le.Error())
	msg := "telltale: " + le.Error() + "\n"
	fmt.Fprintf(nc, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(msg), msg)
}

// denyLocalPlain is denyTunnel for a plain-HTTP pass-through.
func (p *Proxy) denyLocalPlain(r *http.Request, le *LocalError) *http.Response {
	p.deny(r, le.Error())
	return errorResponse(http.StatusForbidden, "telltale: "+le.Error())
}
