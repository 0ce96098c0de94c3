package proxy

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/telltale/telltale/store"
)

// A plain-HTTP request that net/http's parser refuses (a NUL in a header
// value, a space in a header name, Transfer-Encoding: gzip, chunked) never
// reaches the proxy's handler: net/http answers 400 or 501 itself and
// closes. So that it is recorded as a denied capture like any other
// refusal, each client connection keeps the bytes of the request head it
// is reading, and a net/http error answer written to it (a 4xx or 5xx
// without the Date header that every handler's answer carries) records
// them first. A connection that goes on as a tunnel (CONNECT) stops
// keeping them.

// maxSniffed bounds the head bytes kept: a head net/http accepts is at
// most maxHeadBytes.
const maxSniffed = maxHeadBytes + 4<<10

// headSniffer keeps the head of the request a connection is reading.
type headSniffer struct {
	p      *Proxy
	remote string
	sender *sender

	mu  sync.Mutex
	buf []byte
	off bool // a CONNECT, or an answer already recorded
}

type sniffKey struct{}

// sniffContext is the proxy server's ConnContext: it lets ServeHTTP find
// the connection's sniffer.
func sniffContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitedConn); ok && lc.sniff != nil {
		return context.WithValue(ctx, sniffKey{}, lc.sniff)
	}
	return ctx
}

// dispatched tells the sniffer of r's connection that r reached the
// handler: the bytes kept so far were its head.
func dispatched(r *http.Request) {
	s, ok := r.Context().Value(sniffKey{}).(*headSniffer)
	if !ok {
		return
	}
	s.mu.Lock()
	s.buf = s.buf[:0]
	s.off = s.off || r.Method == http.MethodConnect
	s.mu.Unlock()
}

func (s *headSniffer) read(b []byte) {
	s.mu.Lock()
	if !s.off && len(s.buf) < maxSniffed {
		s.buf = append(s.buf, b[:min(len(b), maxSniffed-len(s.buf))]...)
	}
	s.mu.Unlock()
}

// wrote looks at what is about to be written: net/http's own answer to a
// request it could not parse is recorded.
func (s *headSniffer) wrote(b []byte) {
	s.mu.Lock()
	if s.off || !netHTTPRefusal(b) {
		s.mu.Unlock()
		return
	}
	s.off = true
	head := append([]byte(nil), s.buf...)
	s.mu.Unlock()
	_, msg, _ := bytes.Cut(b, []byte("\r\n\r\n"))
	s.p.recordMalformed(s.remote, s.sender.process(), head, strings.TrimSpace(string(msg)))
}

// netHTTPRefusal reports whether b is the answer net/http writes to a
// request it could not parse: a 4xx or 5xx status line and no Date.
func netHTTPRefusal(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 4")) && !bytes.HasPrefix(b, []byte("HTTP/1.1 5")) {
		return false
	}
	head, _, _ := bytes.Cut(b, []byte("\r\n\r\n"))
	return !bytes.Contains(bytes.ToLower(head), []byte("\r\ndate:"))
}

// recordMalformed records the head net/http refused as a denied capture.
func (p *Proxy) recordMalformed(client string, proc *store.Process, head []byte, msg string) {
	lines := strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n")
	rec := &store.Record{Kind: store.KindDenied, Time: p.now(), Client: client, Process: proc,
		Error: "malformed request: net/http refused it (" + msg + ")", Head: &store.Head{}}
	if f := strings.SplitN(lines[0], " ", 3); len(f) == 3 {
		rec.Head.Method, rec.Head.URL, rec.Head.Proto = quoteTarget(f[0]), quoteTarget(truncate(f[1], 2048)), quoteTarget(f[2])
		if u, err := url.Parse(f[1]); err == nil && u.Host != "" {
			rec.Host, rec.Port, _ = splitTarget(u.Host, "80")
		}
	}
	for _, l := range lines[1:] {
		if l = strings.TrimRight(l, "\r"); l == "" {
			break
		}
		name, value, _ := strings.Cut(l, ":")
		rec.Head.Headers = append(rec.Head.Headers, store.Header{Name: quoteTarget(name), Value: quoteTarget(strings.TrimSpace(value))})
		if rec.Host == "" && strings.EqualFold(name, "Host") {
			rec.Host, rec.Port, _ = splitTarget(strings.TrimSpace(value), "80")
		}
	}
	id, err := p.opts.Recorder.Append(context.Background(), rec, nil)
	if err != nil {
		p.log.Error().Err(err).Msg("could not record a malformed request")
	}
	p.observe(Event{Kind: store.CaptureDenied, ID: id, Host: rec.Host, Method: rec.Head.Method, URL: rec.Head.URL,
		Err: rec.Error, Client: client, CaptureFailed: err != nil})
	p.log.Warn().Str("client", client).Str("why", rec.Error).Msg("malformed request refused")
}

func (c *limitedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.sniff != nil && n > 0 {
		c.sniff.read(b[:n])
	}
	return n, err
}

func (c *limitedConn) Write(b []byte) (int, error) {
	if c.sniff != nil {
		c.sniff.wrote(b)
	}
	return c.Conn.Write(b)
}
