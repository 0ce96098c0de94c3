package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/telltale/telltale/proxy"
	"github.com/telltale/telltale/server"
)

// upstreamResult is what doctor found for one intercepted host.
type upstreamResult struct {
	host string
	ok   bool
	msg  string
}

// checkUpstreams tries every exact intercepted host on port 443, in
// parallel, the way serve reaches it.
func (d *doctor) checkUpstreams() {
	var hosts []string
	for _, h := range d.cfg.Intercept.Hosts {
		if !strings.HasPrefix(h, "*.") {
			hosts = append(hosts, strings.ToLower(h))
		}
	}
	if len(hosts) == 0 {
		d.line(checkWarn, "upstream", "intercept.hosts has only *.suffix patterns: no host name to try")
		return
	}
	roots, err := server.UpstreamRoots(d.cfg)
	if err != nil {
		d.line(checkFail, "upstream", "%v", err)
		return
	}
	parent, err := server.ParentProxy(d.cfg)
	if err != nil {
		d.line(checkFail, "upstream", "%v", err)
		return
	}
	dialer := &proxy.Dialer{Parent: parent, NoProxy: d.cfg.Upstream.NoProxy, Resolve: d.cfg.Upstream.Resolve, RootCAs: roots, Timeout: d.timeout,
		Vet: proxy.LocalGuard(d.cfg.Upstream.AllowLocal)}
	results := make([]upstreamResult, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() { results[i] = d.tryUpstream(dialer, roots, h) })
	}
	wg.Wait()
	reached := 0
	for _, r := range results {
		if r.ok {
			reached++
			d.line(checkOK, "upstream", "%s", r.msg)
		} else {
			d.line(checkWarn, "upstream", "%s", r.msg)
		}
	}
	if reached == 0 && d.demo {
		d.line(checkFail, "upstream", "the demo's simulated Citrix cloud is not running: doctor checks a demo while `telltale demo --data %s` runs", d.cfg.DataDir)
		return
	}
	if reached == 0 {
		via := "directly"
		if parent != nil {
			via = "through upstream.proxy " + parent.Host
		}
		d.line(checkFail, "upstream", "network path closed: none of the %d intercepted hosts is reachable %s. "+
			"Through Telltale the license server cannot activate (LAS) or upload until outbound TCP 443 to them opens, "+
			"or upstream.proxy names a proxy that can reach them", len(hosts), via)
	}
}

// tryUpstream resolves host (unless an override or the parent proxy does
// that), connects and completes a verified TLS handshake.
func (d *doctor) tryUpstream(dialer *proxy.Dialer, roots *x509.CertPool, host string) upstreamResult {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	addr := net.JoinHostPort(host, "443")
	via := ""
	switch to, ok := d.cfg.Upstream.Resolve[addr]; {
	case ok:
		via = " via upstream.resolve " + to
	case dialer.Parent != nil && !d.excluded(host):
		via = " through upstream.proxy " + dialer.Parent.Host
	default:
		ips, err := net.DefaultResolver.LookupHost(ctx, host)
		if err != nil {
			return upstreamResult{host: host, msg: fmt.Sprintf("%s does not resolve: %v (is DNS open to this machine?)", host, shortErr(err))}
		}
		via = " at " + ips[0]
	}
	start := time.Now()
	c, err := dialer.DialContext(ctx, addr)
	if err != nil {
		return upstreamResult{host: host, msg: fmt.Sprintf("%s%s: cannot connect: %s", host, via, describeNetErr(err))}
	}
	defer c.Close()
	tc := tls.Client(c, &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(ctx); err != nil {
		return upstreamResult{host: host, msg: fmt.Sprintf("%s%s: TLS failed: %s (serve would answer the license server with a 502)", host, via, shortErr(err))}
	}
	st := tc.ConnectionState()
	issuer := st.PeerCertificates[0].Issuer.CommonName
	return upstreamResult{host: host, ok: true, msg: fmt.Sprintf("%s%s: %s, certificate issued by %q, %d ms",
		host, via, tls.VersionName(st.Version), issuer, time.Since(start).Milliseconds())}
}

// excluded reports whether upstream.no_proxy sends host direct; the
// Dialer decides the same way, this is only for the message.
func (d *doctor) excluded(host string) bool {
	for _, e := range d.cfg.Upstream.NoProxy {
		e = strings.TrimPrefix(strings.ToLower(e), "*")
		if e == host || strings.HasPrefix(e, ".") && strings.HasSuffix(host, e) {
			return true
		}
	}
	return false
}

// describeNetErr says what a failed connect means, plainly.
func describeNetErr(err error) string {
	var ne net.Error
	var le *proxy.LocalError
	switch {
	case errors.As(err, &le):
		return "serve refuses it: " + le.Error()
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out (a firewall dropping the traffic?): " + shortErr(err)
	case strings.Contains(err.Error(), "refused"):
		return "refused: " + shortErr(err)
	}
	return shortErr(err)
}

// parseCertPEM parses the first certificate of a PEM file.
func parseCertPEM(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return x509.ParseCertificate(blk.Bytes)
}
