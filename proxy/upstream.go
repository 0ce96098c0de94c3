package proxy

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"time"
)

// upstreamIdle is how long an upstream connection may sit unused in the
// pool before it is closed.
const upstreamIdle = 90 * time.Second

// newTransport configures the upstream connections that upstreamPool
// opens: HTTP/2 where the upstream offers it, TLS verified against
// opts.RootCAs with the real host name, and no header rewriting (no added
// Accept-Encoding, no transparent decompression). Its own RoundTrip, which
// retries, is never used.
func newTransport(opts Options) *http.Transport {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := opts.Resolve[addr]; ok {
				addr = to
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:       &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   15 * time.Second,
		ForceAttemptHTTP2:     true,
		DisableCompression:    true,
		ResponseHeaderTimeout: opts.UpstreamTimeout,
		ExpectContinueTimeout: time.Second,
	}
	if pf := parentFunc(opts.ParentProxy, opts.NoProxy); pf != nil {
		t.Proxy = func(r *http.Request) (*url.URL, error) { return pf(r.URL) }
	}
	return t
}
