package testbed

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// tapListener terminates TLS itself and hands net/http plaintext connections.
// net/http keeps request headers in a map, so their order is lost; by keeping
// a copy of the bytes each HTTP/1.x connection read, the LAS can recover the
// header fields in wire order and case. HTTP/2 still works: the connection
// that negotiated "h2" by ALPN starts with the HTTP/2 preface, which the
// server accepts as unencrypted HTTP/2 (see http.Protocols).
type tapListener struct {
	net.Listener // TCP
	cfg          *tls.Config
	next         atomic.Int64
}

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := tls.Server(c, l.cfg)
	return &tapConn{Conn: tc, tls: tc, id: int(l.next.Add(1))}, nil
}

// tapConn must not embed *tls.Conn: net/http treats any conn with a
// ConnectionState method as TLS and would then refuse the HTTP/2 preface.
type tapConn struct {
	net.Conn // the *tls.Conn, seen only as a net.Conn
	tls      *tls.Conn
	id       int

	once   sync.Once
	record bool // false for h2, whose header order is not recovered

	mu      sync.Mutex
	buf     []byte  // plaintext read and not yet consumed by head
	pending framing // body of the last head, still at the start of buf
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	// The first Read completes the handshake, so ALPN is known after it.
	c.once.Do(func() { c.record = c.tls.ConnectionState().NegotiatedProtocol != "h2" })
	if n > 0 && c.record {
		c.mu.Lock()
		c.buf = append(c.buf, p[:n]...)
		c.mu.Unlock()
	}
	return n, err
}

// head returns the header fields, in wire order and case, of the HTTP/1.x
// request whose request line is "METHOD TARGET HTTP/1.x", and forgets every
// byte read up to the end of that head. The previous request's body is
// skipped by its framing, so a request line inside a body is not mistaken
// for the next request. It reports false when the head is not found.
func (c *tapConn) head(method, target string) ([]Header, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := bodyEnd(c.buf, c.pending); ok {
		c.buf = c.buf[n:]
	}
	c.pending = framing{}
	prefix := []byte(method + " " + target + " HTTP/1.")
	start := indexLineStart(c.buf, prefix)
	if start < 0 {
		return nil, false
	}
	end := bytes.Index(c.buf[start:], []byte("\r\n\r\n"))
	if end < 0 {
		return nil, false
	}
	lines := bytes.Split(c.buf[start:start+end], []byte("\r\n"))[1:]
	c.buf = append([]byte(nil), c.buf[start+end+4:]...)
	hs := make([]Header, 0, len(lines))
	for _, line := range lines {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		h := Header{Name: string(name), Value: string(bytes.Trim(value, " \t"))}
		switch {
		case strings.EqualFold(h.Name, "Transfer-Encoding"):
			c.pending.chunked = strings.HasSuffix(strings.ToLower(h.Value), "chunked")
		case strings.EqualFold(h.Name, "Content-Length"):
			c.pending.length, _ = strconv.Atoi(h.Value)
		}
		hs = append(hs, h)
	}
	return hs, true
}

// framing says how a request body is delimited on the wire.
type framing struct {
	chunked bool
	length  int
}

// bodyEnd returns the length of the body framed by f at the start of b.
func bodyEnd(b []byte, f framing) (int, bool) {
	if !f.chunked {
		return f.length, f.length <= len(b)
	}
	off := 0
	for {
		i := bytes.Index(b[off:], []byte("\r\n"))
		if i < 0 {
			return 0, false
		}
		sizeHex, _, _ := bytes.Cut(b[off:off+i], []byte(";"))
		size, err := strconv.ParseInt(string(bytes.TrimSpace(sizeHex)), 16, 64)
		if err != nil || size < 0 {
			return 0, false
		}
		off += i + 2
		if size == 0 { // trailer fields, then an empty line
			end := bytes.Index(b[off:], []byte("\r\n"))
			for end > 0 {
				off += end + 2
				end = bytes.Index(b[off:], []byte("\r\n"))
			}
			return off + 2, end == 0
		}
		off += int(size) + 2
		if off > len(b) {
			return 0, false
		}
	}
}

// indexLineStart finds prefix at the start of a line of b.
func indexLineStart(b, prefix []byte) int {
	off := 0
	for {
		i := bytes.Index(b[off:], prefix)
		if i < 0 {
			return -1
		}
		if at := off + i; at == 0 || b[at-1] == '\n' {
			return at
		}
		off += i + 1
	}
}

type connKey struct{}

// connContext lets a handler find the tapConn its request arrived on.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tapConn); ok {
		return context.WithValue(ctx, connKey{}, tc)
	}
	return ctx
}
