package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/elazarl/goproxy"

	"github.com/telltale/telltale/store"
)

// handleConnect decides what happens to a CONNECT: intercept, tunnel or
// deny.
func (p *Proxy) handleConnect(target string, ctx *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
	host, port, err := splitTarget(target, "443")
	if err != nil {
		p.deny(ctx.Req, err.Error())
		ctx.Resp = goproxy.NewResponse(ctx.Req, goproxy.ContentTypeText, http.StatusBadRequest, "telltale: "+err.Error()+"\n")
		return goproxy.RejectConnect, target
	}
	if le := p.localRefusal(ctx.Req.Context(), host, port); le != nil {
		p.deny(ctx.Req, le.Error())
		ctx.Resp = goproxy.NewResponse(ctx.Req, goproxy.ContentTypeText, http.StatusForbidden, "telltale: "+le.Error()+"\n")
		return goproxy.RejectConnect, target
	}
	switch {
	case p.current().intercept.match(host):
		if k, ok := keyOf(ctx.Req.RemoteAddr, host, port); ok {
			if pt, ok := p.refusals.passing(k, p.now(), p.current().refusal); ok {
				return hijack(func(nc net.Conn) { p.serveTunnel(nc, host, port, passReason(pt)) }), target
			}
		}
		return hijack(func(nc net.Conn) { p.serveMITM(nc, host, port) }), target
	case p.current().deny:
		p.deny(ctx.Req, "host not intercepted and others: deny")
		ctx.Resp = goproxy.NewResponse(ctx.Req, goproxy.ContentTypeText, http.StatusForbidden,
			"telltale: "+host+" is not an intercepted host and this proxy denies all others (others: deny)\n")
		return goproxy.RejectConnect, target
	}
	return hijack(func(nc net.Conn) { p.serveTunnel(nc, host, port, "") }), target
}

// splitTarget splits host:port, lowercases the host and checks both.
func splitTarget(target, defaultPort string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(target)
	if err != nil {
		host, port = target, defaultPort
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	n, perr := strconv.Atoi(port)
	if host == "" || perr != nil || n <= 0 || n > 65535 || strings.ContainsAny(host, " /\\@") {
		return "", "", fmt.Errorf("bad CONNECT target %q: want host:port", truncate(target, 80))
	}
	return host, port, nil
}

// deny records a refused request or connection.
func (p *Proxy) deny(r *http.Request, why string) {
	host, port, _ := splitTarget(r.Host, "80")
	rec := &store.Record{
		Kind:    store.KindDenied,
		Time:    p.now(),
		Client:  r.RemoteAddr,
		Process: sentBy(r.Context()),
		Host:    host,
		Port:    port,
		Error:   why,
		Head:    &store.Head{Method: r.Method, URL: deniedURL(r), Proto: r.Proto},
	}
	id, err := p.opts.Recorder.Append(r.Context(), rec, nil)
	if err != nil {
		p.log.Error().Err(err).Msg("could not record a denied request")
	}
	p.observe(Event{Kind: store.CaptureDenied, ID: id, Host: host, Method: r.Method, URL: rec.Head.URL, Err: why, CaptureFailed: err != nil})
	p.log.Warn().Str("client", r.RemoteAddr).Str("method", r.Method).Str("target", rec.Head.URL).Str("why", why).Msg("denied")
}

func deniedURL(r *http.Request) string {
	if r.Method == http.MethodConnect {
		return r.Host
	}
	return r.URL.String()
}

// serveTunnel passes a CONNECT through uninspected and records the
// connection (bytes each way, duration) when it closes. pass, when set,
// is why an intercepted host is passed through (refusal.go); it starts
// the record's Error.
func (p *Proxy) serveTunnel(nc net.Conn, host, port, pass string) {
	c := newConn(nc)
	defer c.cancel()
	if !p.track(c) {
		nc.Close()
		return
	}
	defer p.untrack(c)
	defer nc.Close()
	c.setActive(true)
	start := p.now()
	rec := &store.Record{Kind: store.KindTunnel, Client: nc.RemoteAddr().String(), Process: senderOf(nc).process(), Host: host, Port: port,
		Head: &store.Head{Method: http.MethodConnect, URL: net.JoinHostPort(host, port)}}
	up, err := p.dialUpstream(net.JoinHostPort(host, port))
	var le *LocalError
	if errors.As(err, &le) {
		p.denyTunnel(nc, host, port, le)
		return
	}
	if err != nil {
		rec.Error = err.Error()
		if pass != "" {
			rec.Error = pass + "; " + rec.Error
		}
		io.WriteString(nc, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\ntelltale: "+err.Error()+"\n")
	} else {
		defer up.Close()
		c.setPeer(up)
		io.WriteString(nc, "HTTP/1.1 200 Connection established\r\n\r\n")
		var idled bool
		rec.BytesUp, rec.BytesDown, idled = splice(nc, up, p.opts.TunnelIdleTimeout)
		if idled {
			rec.Error = fmt.Sprintf("closed: no bytes either way for %s (limits.tunnel_idle_timeout)", p.opts.TunnelIdleTimeout)
		}
		if pass != "" {
			rec.Error = strings.TrimSuffix(pass+"; "+rec.Error, "; ")
		}
	}
	rec.Time = p.now()
	rec.Duration = rec.Time.Sub(start)
	p.recordTunnel(rec, pass)
}

// recordTunnel appends a tunnel record (CONNECT or plain-HTTP pass-through),
// logs it and reports it. pass is why an intercepted host was passed
// through (refusal.go), or "".
func (p *Proxy) recordTunnel(rec *store.Record, pass string) {
	failure := strings.TrimPrefix(strings.TrimPrefix(rec.Error, pass), "; ")
	id, err := p.opts.Recorder.Append(context.Background(), rec, nil)
	if err != nil {
		p.log.Error().Err(err).Msg("could not record a tunnel")
	}
	p.log.Info().Str("client", rec.Client).Str("target", rec.Head.URL).Int64("bytes_up", rec.BytesUp).
		Int64("bytes_down", rec.BytesDown).Dur("duration", rec.Duration).Str("error", rec.Error).Msg("tunnel")
	p.observe(Event{Kind: store.CaptureTunnel, ID: id, Host: rec.Host, Method: rec.Head.Method, URL: rec.Head.URL,
		RequestBytes: rec.BytesUp, ResponseBytes: rec.BytesDown, Duration: rec.Duration, Err: rec.Error,
		UpstreamFailed: rec.BytesUp == 0 && rec.BytesDown == 0 && failure != "", CaptureFailed: err != nil,
		Client: rec.Client, PassThrough: pass != ""})
}

// dialUpstream opens a raw connection to addr, through the parent proxy
// when one is configured (parent.go).
func (p *Proxy) dialUpstream(addr string) (net.Conn, error) {
	return p.dialer.DialContext(context.Background(), addr)
}

// oneByteReader reads a byte at a time, so that a bufio.Reader over it
// never takes bytes beyond the response head that belong to the tunnel.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}
