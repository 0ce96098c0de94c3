package proxy

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/elazarl/goproxy"

	"github.com/telltale/telltale/store"
)

// handlePlain handles a plain-HTTP proxy request (absolute-form). Requests
// to intercepted hosts are captured like intercepted HTTPS; others are
// passed through and recorded as tunnels, or denied.
//
// net/http has parsed this request, so header names arrive canonicalised:
// unlike the HTTPS path, plain HTTP cannot keep the client's spelling.
func (p *Proxy) handlePlain(r *http.Request, ctx *goproxy.ProxyCtx) (*http.Request, *http.Response) {
	host, port, err := splitTarget(r.URL.Host, "80")
	if err != nil || r.URL.Scheme != "http" {
		return r, errorResponse(http.StatusBadRequest, "telltale: only http:// URLs can be proxied without CONNECT")
	}
	if err := checkTarget(r.Method, originForm(r)); err != nil {
		p.deny(r, err.Error())
		return r, errorResponse(http.StatusBadRequest, "telltale: "+err.Error())
	}
	if le := p.localRefusal(r.Context(), host, port); le != nil {
		return r, p.denyLocalPlain(r, le)
	}
	switch {
	case p.current().intercept.match(host):
		o := &outbound{client: r.RemoteAddr, process: sentBy(r.Context()), scheme: "http", host: host, port: port, in: plainRequest(r)}
		return r, p.forward(r.Context(), o)
	case p.current().deny:
		p.deny(r, "host not intercepted and others: deny")
		return r, errorResponse(http.StatusForbidden, "telltale: "+host+" is not an intercepted host and this proxy denies all others (others: deny)")
	}
	return r, p.passThrough(r, host, port)
}

// plainRequest turns a parsed request into the form the MITM loop reads.
func plainRequest(r *http.Request) *inRequest {
	in := &inRequest{
		Method:        r.Method,
		Target:        originForm(r),
		Proto:         r.Proto,
		Major:         r.ProtoMajor,
		Minor:         r.ProtoMinor,
		ContentLength: r.ContentLength,
		Chunked:       len(r.TransferEncoding) > 0,
		Body:          r.Body,
	}
	in.Fields = append([]store.Header{{Name: "Host", Value: r.Host}}, sortedFields(r.Header)...)
	if r.ContentLength > 0 {
		in.Fields = append(in.Fields, store.Header{Name: "Content-Length", Value: strconv.FormatInt(r.ContentLength, 10)})
	}
	if in.Chunked {
		in.Fields = append(in.Fields, store.Header{Name: "Transfer-Encoding", Value: "chunked"})
	}
	return in
}

// originForm is the request target without scheme and authority, exactly as
// the client wrote it.
func originForm(r *http.Request) string {
	t := r.RequestURI
	if i := strings.Index(t, "://"); i >= 0 {
		t = t[i+3:]
		if j := strings.IndexByte(t, '/'); j >= 0 {
			return t[j:]
		}
		if j := strings.IndexByte(t, '?'); j >= 0 {
			return "/" + t[j:]
		}
		return "/"
	}
	return t
}

// passThrough forwards a plain-HTTP request to a host that is not
// intercepted, without storing its content, and records it as a tunnel.
func (p *Proxy) passThrough(r *http.Request, host, port string) *http.Response {
	start := p.now()
	rec := &store.Record{Kind: store.KindTunnel, Client: r.RemoteAddr, Process: sentBy(r.Context()), Host: host, Port: port,
		Head: &store.Head{Method: r.Method, URL: r.URL.String(), Proto: r.Proto}}
	ctx, cancel := p.upstreamContext(r.Context())
	out := r.Clone(ctx)
	out.RequestURI = ""
	for _, h := range hopByHop {
		out.Header.Del(h)
	}
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = []string{""}
	}
	up := &countingReader{r: r.Body}
	if r.Body != nil && r.Body != http.NoBody {
		out.Body = up
	}
	resp, err := p.upstream.RoundTrip(out)
	if le := (*LocalError)(nil); errors.As(err, &le) {
		return p.denyLocalPlain(r, le)
	}
	record := func(down int64, err error) {
		rec.Time = p.now()
		rec.Duration = rec.Time.Sub(start)
		rec.BytesUp, rec.BytesDown = up.n.Load(), down
		if err != nil {
			rec.Error = err.Error()
		}
		p.recordTunnel(rec, "")
	}
	if err != nil {
		cancel(nil)
		err = upstreamError(host, err)
		record(0, err)
		return errorResponse(http.StatusBadGateway, "telltale: "+err.Error())
	}
	down := &countingReader{r: resp.Body}
	resp.Body = &closeHook{countingReader: down, close: func() { cancel(nil); record(down.n.Load(), nil) }}
	return resp
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReader) Close() error { return nil }

type closeHook struct {
	*countingReader
	close func()
	done  atomic.Bool
}

func (c *closeHook) Close() error {
	if c.done.CompareAndSwap(false, true) {
		c.close()
	}
	if rc, ok := c.r.(interface{ Close() error }); ok {
		return rc.Close()
	}
	return nil
}
