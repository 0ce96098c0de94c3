package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// Dialer opens raw connections to upstreams the way the proxy does: after
// the Resolve overrides, and through the parent proxy unless NoProxy
// excludes the destination. It speaks TLS to an https:// parent (checked
// against RootCAs) and sends basic authentication when the parent URL
// carries a user. Tunnels use it, and so does `telltale doctor`.
type Dialer struct {
	Parent  *url.URL          // optional parent proxy, http:// or https://
	NoProxy []string          // NO_PROXY entries: host, .domain, IP, CIDR, host:port
	Resolve map[string]string // "host:port" -> "ip:port" dial overrides
	RootCAs *x509.CertPool    // for an https:// parent; nil: the system roots
	Timeout time.Duration     // connect (and CONNECT) timeout; 0: 30s
	// Vet, when set, checks a destination reached directly (target as
	// asked, addr after Resolve) and returns the addresses to dial
	// instead: the proxy's local guard (guard.go; doctor uses LocalGuard).
	// nil dials any destination.
	Vet func(ctx context.Context, target, addr string) ([]string, error)
}

// parentFunc returns which parent proxy to use for a URL (nil: go direct),
// following NO_PROXY rules (golang.org/x/net/http/httpproxy: the same as
// Go's ProxyFromEnvironment, loopback destinations always direct).
func parentFunc(parent *url.URL, noProxy []string) func(*url.URL) (*url.URL, error) {
	if parent == nil {
		return nil
	}
	cfg := httpproxy.Config{HTTPProxy: parent.String(), HTTPSProxy: parent.String(), NoProxy: strings.Join(noProxy, ",")}
	return cfg.ProxyFunc()
}

// DialContext connects to addr ("host:port").
func (d *Dialer) DialContext(ctx context.Context, addr string) (net.Conn, error) {
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var parent *url.URL
	if pf := parentFunc(d.Parent, d.NoProxy); pf != nil {
		var err error
		if parent, err = pf(&url.URL{Scheme: "https", Host: addr}); err != nil {
			return nil, fmt.Errorf("parent proxy: %w", err)
		}
	}
	target := addr
	if to, ok := d.Resolve[addr]; ok {
		addr = to
	}
	var nd net.Dialer
	if parent == nil && d.Vet != nil {
		addrs, err := d.Vet(ctx, target, addr)
		if err != nil {
			return nil, err
		}
		return dialVetted(ctx, addrs, func(ctx context.Context, a string) (net.Conn, error) { return nd.DialContext(ctx, "tcp", a) })
	}
	if parent == nil {
		return nd.DialContext(ctx, "tcp", addr)
	}
	c, err := d.dialParent(ctx, parent)
	if err != nil {
		return nil, err
	}
	if err := connect(ctx, c, parent, addr); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// dialParent connects to the parent proxy, over TLS for https://.
func (d *Dialer) dialParent(ctx context.Context, parent *url.URL) (net.Conn, error) {
	hostport := parent.Host
	if parent.Port() == "" {
		hostport = net.JoinHostPort(parent.Hostname(), map[bool]string{true: "443", false: "80"}[parent.Scheme == "https"])
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return nil, fmt.Errorf("parent proxy %s: %w", hostport, err)
	}
	if parent.Scheme != "https" {
		return c, nil
	}
	tc := tls.Client(c, &tls.Config{ServerName: parent.Hostname(), RootCAs: d.RootCAs, MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("parent proxy %s: TLS: %w", hostport, err)
	}
	return tc, nil
}

// connect asks the parent proxy on c for a tunnel to addr.
func connect(ctx context.Context, c net.Conn, parent *url.URL, addr string) error {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
		defer c.SetDeadline(time.Time{})
	}
	req := "CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n"
	if auth := proxyAuth(parent); auth != "" {
		req += "Proxy-Authorization: " + auth + "\r\n"
	}
	if _, err := c.Write([]byte(req + "\r\n")); err != nil {
		return fmt.Errorf("parent proxy: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(oneByteReader{c}), nil)
	if err != nil {
		return fmt.Errorf("parent proxy: CONNECT %s: %w", addr, err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusProxyAuthRequired:
		return fmt.Errorf("parent proxy refused CONNECT %s: %s (check the user and password: upstream.proxy, upstream.proxy_auth_env)", addr, resp.Status)
	}
	return fmt.Errorf("parent proxy refused CONNECT %s: %s", addr, resp.Status)
}

// proxyAuth is the Proxy-Authorization value for a parent URL's user, or "".
func proxyAuth(parent *url.URL) string {
	if parent.User == nil {
		return ""
	}
	pass, _ := parent.User.Password()
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(parent.User.Username()+":"+pass))
}
