package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/elazarl/goproxy"
)

// conn is one hijacked client connection: an intercepted TLS connection or
// a tunnel.
type conn struct {
	nc net.Conn
	// ctx ends when Shutdown cuts the connection, which also aborts its
	// upstream request.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	active  bool     // an exchange is in flight
	aborted bool     // cut by Shutdown
	peer    net.Conn // a tunnel's upstream, closed with it on abort
}

func (c *conn) setPeer(pc net.Conn) {
	c.mu.Lock()
	c.peer = pc
	c.mu.Unlock()
}

func newConn(nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{nc: nc, ctx: ctx, cancel: cancel}
}

func (c *conn) setActive(a bool) {
	c.mu.Lock()
	c.active = a
	c.mu.Unlock()
}

func (c *conn) closeIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.active {
		c.nc.Close()
	}
}

func (c *conn) abort() {
	c.mu.Lock()
	c.aborted = true
	c.cancel()
	if c.peer != nil {
		c.peer.Close()
	}
	c.mu.Unlock()
	c.nc.Close()
}

func (c *conn) wasAborted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.aborted
}

// serveMITM answers the CONNECT, terminates the client's TLS with a
// certificate minted for host, and serves HTTP/1.1 exchanges on it until
// the client or the proxy closes.
func (p *Proxy) serveMITM(nc net.Conn, host, port string) {
	c := newConn(nc)
	defer c.cancel()
	if !p.track(c) {
		nc.Close()
		return
	}
	defer p.untrack(c)
	defer nc.Close()
	if _, err := io.WriteString(nc, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	hc := &handshakeConn{Conn: nc}
	tc := tls.Server(hc, p.opts.Minter.ServerConfig(host))
	tc.SetDeadline(p.now().Add(p.opts.HeadTimeout))
	if err := tc.Handshake(); err != nil {
		if alert, ok := clientRefusal(err, hc); ok {
			p.refusedTLS(nc.RemoteAddr().String(), senderOf(nc).process(), host, port, alert)
			return
		}
		p.log.Warn().Err(err).Str("client", nc.RemoteAddr().String()).Str("host", host).
			Msg("client TLS handshake failed; does the client trust the Telltale CA (telltale ca export)?")
		return
	}
	if k, ok := keyOf(nc.RemoteAddr().String(), host, port); ok {
		p.refusals.accepted(k)
	}
	tc.SetDeadline(time.Time{})
	s := &session{p: p, c: c, tc: tc, host: host, port: port, client: nc.RemoteAddr().String(), sender: senderOf(nc),
		br: bufio.NewReaderSize(tc, 16<<10), bw: bufio.NewWriterSize(tc, 16<<10)}
	for s.next() {
	}
}

// session is the request loop of one intercepted connection.
type session struct {
	p      *Proxy
	c      *conn
	tc     *tls.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	host   string
	port   string
	client string
	sender *sender // nil: a remote client
}

// next serves one exchange and reports whether the connection stays open.
func (s *session) next() bool {
	s.c.setActive(false)
	if s.p.isClosing() {
		return false
	}
	// Idle keep-alive wait, then a bounded time for the whole head.
	s.tc.SetReadDeadline(s.p.now().Add(s.p.opts.IdleTimeout))
	if _, err := s.br.Peek(1); err != nil {
		return false
	}
	s.c.setActive(true)
	s.tc.SetReadDeadline(s.p.now().Add(s.p.opts.HeadTimeout))
	in, err := readRequest(s.br)
	if err != nil {
		s.refuse(in, err)
		return false
	}
	clientBody := &stallReader{r: in.Body, c: s.tc, timeout: s.p.opts.IdleTimeout}
	in.Body = clientBody
	if hasToken(in.Fields, "Expect", "100-continue") && in.ContentLength != 0 {
		// Telltale needs the body before it forwards anything.
		io.WriteString(s.bw, "HTTP/1.1 100 Continue\r\n\r\n")
		if err := s.bw.Flush(); err != nil {
			return false
		}
	}
	o := s.outbound(in)
	o.watch = s.watchClient
	resp := s.p.forward(s.c.ctx, o)
	s.tc.SetReadDeadline(time.Time{})
	keep, err := writeResponse(&deadlineWriter{s.bw, s.tc, s.p.opts.IdleTimeout}, resp, in)
	if cb, ok := resp.Body.(*captureBody); ok && err != nil {
		cb.clientFailed(err)
	}
	resp.Body.Close()
	if err != nil {
		return false
	}
	return keep && !s.p.isClosing() && drained(clientBody)
}

func (s *session) outbound(in *inRequest) *outbound {
	return &outbound{client: s.client, process: s.sender.process(), scheme: "https", host: s.host, port: s.port, in: in,
		aborted: s.c.wasAborted}
}

// drained reports whether the request body was read to its end, so that the
// next request starts where the connection stands.
func drained(body io.Reader) bool {
	n, err := io.Copy(io.Discard, io.LimitReader(body, 1))
	return n == 0 && err == nil
}

// refuse answers a request that could not be read or must not be
// forwarded, and logs it; one it could read is also recorded.
func (s *session) refuse(in *inRequest, err error) {
	var bad badRequestError
	var ne net.Error
	var refused refusedError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return
	case errors.As(err, &refused):
		s.p.refuseRequest(s.outbound(in), err.Error())
		writeStatus(s.bw, http.StatusBadRequest, "telltale: "+err.Error(), true)
		s.bw.Flush()
		return
	case errors.Is(err, errHeadTooLarge):
		writeStatus(s.bw, http.StatusRequestHeaderFieldsTooLarge, "telltale: "+err.Error(), true)
	case errors.As(err, &bad):
		writeStatus(s.bw, http.StatusBadRequest, "telltale: "+err.Error(), true)
	case errors.As(err, &ne) && ne.Timeout():
		writeStatus(s.bw, http.StatusRequestTimeout, "telltale: request head not received in time", true)
	default:
		return
	}
	s.bw.Flush()
	s.p.log.Warn().Err(err).Str("client", s.client).Str("host", s.host).Msg("request refused")
}

// writeResponse writes resp to the client with the framing HTTP/1.1 requires
// for it: the upstream's Content-Length when there was one, otherwise
// chunked (or close-delimited for an HTTP/1.0 client). It reports whether
// the connection may be kept alive.
func writeResponse(w *deadlineWriter, resp *http.Response, in *inRequest) (bool, error) {
	keep := keepAlive(in) && !resp.Close && !hasConnClose(resp.Header)
	w.WriteString("HTTP/1.1 ")
	w.WriteString(statusText(resp))
	w.WriteString("\r\n")
	conn := headerConnTokens(resp.Header)
	var buf [16]string
	keys := buf[:0]
	for k := range resp.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if isHopByHop(k, conn) || strings.EqualFold(k, "Content-Length") {
			continue
		}
		for _, v := range resp.Header[k] {
			writeField(w, k, v)
		}
	}
	noBody := in.Method == http.MethodHead || resp.StatusCode == http.StatusNoContent ||
		resp.StatusCode == http.StatusNotModified || resp.StatusCode < 200
	chunked := false
	switch {
	case noBody:
		// HEAD and 304 keep the length the upstream announced.
		if cl := resp.Header.Get("Content-Length"); cl != "" {
			fmt.Fprintf(w, "Content-Length: %s\r\n", cl)
		} else if len(resp.TransferEncoding) > 0 {
			fmt.Fprintf(w, "Transfer-Encoding: %s\r\n", strings.Join(resp.TransferEncoding, ", "))
		}
	case resp.ContentLength >= 0:
		writeField(w, "Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	case in.Minor >= 1:
		chunked = true
		io.WriteString(w, "Transfer-Encoding: chunked\r\n")
		if len(resp.Trailer) > 0 {
			fmt.Fprintf(w, "Trailer: %s\r\n", strings.Join(trailerKeys(resp.Trailer), ", "))
		}
	default:
		keep = false // close-delimited for an HTTP/1.0 client
	}
	if !keep {
		io.WriteString(w, "Connection: close\r\n")
	} else if in.Minor == 0 {
		io.WriteString(w, "Connection: keep-alive\r\n")
	}
	io.WriteString(w, "\r\n")
	if noBody {
		// Read the (empty) body to its end so the capture sees it complete.
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return false, err
		}
		return keep, w.Flush()
	}
	return keep, writeBody(w, resp, chunked)
}

// writeField writes one header field, "name: value" and CRLF.
func writeField(w *deadlineWriter, name, value string) {
	w.WriteString(name)
	w.WriteString(": ")
	w.WriteString(value)
	w.WriteString("\r\n")
}

func writeBody(w *deadlineWriter, resp *http.Response, chunked bool) error {
	var dst io.Writer = w
	var cw io.WriteCloser
	if chunked {
		cw = httputil.NewChunkedWriter(w)
		dst = cw
	}
	n, err := copyPooled(flushWriter{dst, w}, resp.Body)
	if err != nil {
		return err
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("upstream body was %d bytes, announced %d", n, resp.ContentLength)
	}
	if chunked {
		cw.Close() // writes the last chunk, not the final CRLF
		for _, k := range trailerKeys(resp.Trailer) {
			for _, v := range resp.Trailer[k] {
				fmt.Fprintf(w, "%s: %s\r\n", k, v)
			}
		}
		io.WriteString(w, "\r\n")
	}
	return w.Flush()
}

// deadlineWriter is the buffered writer to the client; each Flush may
// stall for at most timeout, so a client that stops reading is cut.
type deadlineWriter struct {
	*bufio.Writer
	c       net.Conn
	timeout time.Duration
}

func (d *deadlineWriter) Flush() error {
	d.c.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.Writer.Flush()
}

// flushWriter flushes after every write so that a streamed response reaches
// the client as it arrives, not when the buffer fills.
type flushWriter struct {
	dst io.Writer
	bw  *deadlineWriter
}

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.dst.Write(p)
	if err != nil {
		return n, err
	}
	return n, f.bw.Flush()
}

func statusText(resp *http.Response) string {
	if resp.Status != "" && strings.HasPrefix(resp.Status, strconv.Itoa(resp.StatusCode)) {
		return resp.Status
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
}

func trailerKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func keepAlive(in *inRequest) bool {
	if hasToken(in.Fields, "Connection", "close") {
		return false
	}
	if in.Minor == 0 {
		return hasToken(in.Fields, "Connection", "keep-alive")
	}
	return true
}

func hasConnClose(h http.Header) bool {
	for _, t := range headerConnTokens(h) {
		if strings.EqualFold(t, "close") {
			return true
		}
	}
	return false
}

func headerConnTokens(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Connection") {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// stallReader bounds how long a read of the request body may stall, so a
// slow or silent client cannot hold a connection and its goroutine forever.
type stallReader struct {
	r       io.Reader
	c       net.Conn
	timeout time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	s.c.SetReadDeadline(time.Now().Add(s.timeout))
	return s.r.Read(p)
}

// goproxyHijack adapts serveMITM and serveTunnel to goproxy's hijack hook.
func hijack(f func(nc net.Conn)) *goproxy.ConnectAction {
	return &goproxy.ConnectAction{
		Action: goproxy.ConnectHijack,
		Hijack: func(_ *http.Request, nc net.Conn, _ *goproxy.ProxyCtx) { f(nc) },
	}
}
