package proxy

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// Telltale's own requests (the RFC 3161 time-stamping authority, the
// witness, the alert webhook) get the same local guard as the proxy's
// upstreams: a URL, or a name that resolves on the second lookup to
// loopback, a link-local address, this host's addresses or its own
// listeners is refused unless upstream.allow_local names it (and this
// process's own ports never are). None of them follows a redirect of a
// POST, nor one to another host: a 307 must not turn a post to a TSA
// into a post to the admin API.

// Guard is the local guard for the HTTP clients of Telltale's own
// requests. Reload and Protect change it for every client it made.
type Guard struct{ p *Proxy }

// NewGuard guards against upstreams on this host, except those that
// allowLocal names (upstream.allow_local).
func NewGuard(allowLocal []string) *Guard {
	g := &Guard{p: &Proxy{guard: newGuard(nil, time.Now)}}
	g.Reload(allowLocal)
	return g
}

// Reload changes the exceptions (a config reload).
func (g *Guard) Reload(allowLocal []string) { g.p.Reload(Policy{AllowLocal: allowLocal}) }

// Protect adds a listener of this process whose port is refused on every
// local address, exceptions or not.
func (g *Guard) Protect(addr net.Addr) { g.p.Protect(addr) }

// ProtectPort is Protect for a port read from configuration.
func (g *Guard) ProtectPort(port int) {
	if port > 0 {
		g.p.Protect(&net.TCPAddr{Port: port})
	}
}

// Client is an HTTP client with timeout whose every dial is checked by
// the guard and that follows no redirect of a POST nor to another host.
// It uses the environment's proxy (HTTPS_PROXY, NO_PROXY) as
// http.DefaultTransport does; that proxy's address is the operator's
// choice and is dialled unchecked.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	env := httpproxy.FromEnvironment()
	proxyFunc := env.ProxyFunc()
	proxies := map[string]bool{}
	for _, s := range []string{env.HTTPProxy, env.HTTPSProxy} {
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			proxies[urlHostPort(u)] = true
		}
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy: func(r *http.Request) (*url.URL, error) { return proxyFunc(r.URL) },
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if proxies[addr] {
				return dialer.DialContext(ctx, network, addr)
			}
			addrs, err := g.p.vet(ctx, addr, addr)
			if err != nil {
				return nil, err
			}
			return dialVetted(ctx, addrs, func(ctx context.Context, a string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, a)
			})
		},
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     90 * time.Second,
		MaxIdleConns:        4,
	}
	return &http.Client{Transport: t, Timeout: timeout, CheckRedirect: CheckRedirect}
}

// CheckRedirect is an http.Client's redirect policy for Telltale's own
// requests: it follows a GET or HEAD to the same host (up to 10 times)
// and nothing else; the redirect itself is then the response, which the
// caller reports as an error.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	if len(via) >= 10 || first.Method != http.MethodGet && first.Method != http.MethodHead ||
		req.URL.Scheme != first.URL.Scheme || req.URL.Host != first.URL.Host {
		return http.ErrUseLastResponse
	}
	return nil
}

// NoRedirects returns a copy of c that follows no redirect of a POST nor
// to another host: for a client given from outside (nil means
// http.DefaultClient's settings).
func NoRedirects(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	out.CheckRedirect = CheckRedirect
	return &out
}

// urlHostPort is u's host with the scheme's default port when it has none.
func urlHostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	return net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
}
