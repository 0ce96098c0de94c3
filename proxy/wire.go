package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"

	"github.com/telltale/telltale/store"
)

// The HTTP/1.x server side of an intercepted connection is parsed here
// rather than by net/http, because net/http canonicalises header names and
// Telltale must forward and record them exactly as the client sent them.

// Limits on a request head; beyond them the client gets 431 and the
// connection closes.
const (
	maxHeadBytes  = 64 << 10
	maxHeadFields = 256
)

// errHeadTooLarge is a request head beyond maxHeadBytes or maxHeadFields.
var errHeadTooLarge = errors.New("request head too large")

// badRequestError is a malformed request; its text goes to the client.
type badRequestError string

func (e badRequestError) Error() string { return "malformed request: " + string(e) }

// inRequest is a request head as read from the client, with its body framing.
type inRequest struct {
	Method string
	Target string // request-target exactly as sent
	Proto  string
	Major  int
	Minor  int
	Fields []store.Header // in order, original case

	// Body framing (RFC 9112 section 6).
	Chunked       bool
	ContentLength int64 // -1 when chunked or absent
	Body          io.Reader
	Trailers      []store.Header // filled once a chunked body is read to its end
}

// get returns the first value of a header field, case-insensitively.
func get(fields []store.Header, name string) string {
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// values returns every value of a header field, case-insensitively.
func values(fields []store.Header, name string) []string {
	var out []string
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// hasToken reports whether a comma-separated header field holds token.
func hasToken(fields []store.Header, name, token string) bool {
	for _, v := range values(fields, name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// readRequest reads one request head from br and sets up its body reader.
// io.EOF means the client closed the connection cleanly between requests.
// A head that parsed but cannot be forwarded (a refusedError) comes back
// with the request, so that the refusal can be recorded.
func readRequest(br *bufio.Reader) (*inRequest, error) {
	lines, err := readHead(br)
	if err != nil {
		return nil, err
	}
	r := &inRequest{ContentLength: -1}
	if err := r.parseRequestLine(lines[0]); err != nil {
		return nil, err
	}
	if r.Fields, err = parseFields(lines[1:]); err != nil {
		return r, refusedError{err} // recorded with the fields before the bad one
	}
	if err := r.check(); err != nil {
		return r, refusedError{err}
	}
	if err := r.frame(br); err != nil {
		return r, refusedError{err}
	}
	return r, nil
}

// refusedError is a well-formed request head that Telltale will not
// forward. Its text goes to the client, and it is recorded.
type refusedError struct{ err error }

func (e refusedError) Error() string { return e.err.Error() }
func (e refusedError) Unwrap() error { return e.err }

// check refuses what must not go upstream: a target outside RFC 9112's
// grammar, or more than one Host field (RFC 9112 section 3.2).
func (r *inRequest) check() error {
	if err := checkTarget(r.Method, r.Target); err != nil {
		return err
	}
	if len(values(r.Fields, "Host")) > 1 {
		return badRequestError("more than one Host header")
	}
	return nil
}

// readHead reads lines up to the empty line that ends a head. Leading empty
// lines are skipped, as RFC 9112 section 2.2 allows.
func readHead(br *bufio.Reader) ([]string, error) {
	var lines []string
	size := 0
	for {
		line, err := readLine(br, &size)
		if err == io.EOF && size == 0 {
			return nil, io.EOF
		}
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
		if line == "" {
			if len(lines) == 0 {
				continue
			}
			return lines, nil
		}
		if len(lines) == maxHeadFields {
			return nil, errHeadTooLarge
		}
		lines = append(lines, line)
	}
}

// readLine reads one line without its CRLF, adding its length to *size and
// failing once *size passes maxHeadBytes.
func readLine(br *bufio.Reader, size *int) (string, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		*size += len(chunk)
		if *size > maxHeadBytes {
			return "", errHeadTooLarge
		}
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", err
		}
		return strings.TrimRight(string(line), "\r\n"), nil
	}
}

func (r *inRequest) parseRequestLine(line string) error {
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || method == "" || target == "" || !validToken(method) {
		return badRequestError(fmt.Sprintf("bad request line %q", truncate(line, 80)))
	}
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok || major != 1 {
		return badRequestError(fmt.Sprintf("unsupported protocol %q", truncate(proto, 20)))
	}
	r.Method, r.Target, r.Proto, r.Major, r.Minor = method, target, proto, major, minor
	return nil
}

func parseFields(lines []string) ([]store.Header, error) {
	fields := make([]store.Header, 0, len(lines))
	for _, l := range lines {
		if l[0] == ' ' || l[0] == '\t' {
			return fields, badRequestError("obsolete line folding in header")
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || !validToken(name) {
			return fields, badRequestError(fmt.Sprintf("bad header line %q", truncate(l, 80)))
		}
		value = strings.Trim(value, " \t")
		if strings.ContainsAny(value, "\x00\r\n") {
			return fields, badRequestError(fmt.Sprintf("bad value of header %q", name))
		}
		fields = append(fields, store.Header{Name: name, Value: value})
	}
	return fields, nil
}

// frame sets the body reader from Transfer-Encoding and Content-Length.
func (r *inRequest) frame(br *bufio.Reader) error {
	te := values(r.Fields, "Transfer-Encoding")
	cl := values(r.Fields, "Content-Length")
	switch {
	case len(te) > 0 && len(cl) > 0:
		// Both: a request-smuggling vector; refuse (RFC 9112 section 6.3).
		return badRequestError("both Transfer-Encoding and Content-Length")
	case len(te) > 0:
		if !strings.EqualFold(strings.TrimSpace(strings.Join(te, ",")), "chunked") {
			return badRequestError(fmt.Sprintf("unsupported Transfer-Encoding %q", strings.Join(te, ", ")))
		}
		r.Chunked = true
		r.Body = &chunkedBody{r: br, cr: httputil.NewChunkedReader(br), req: r}
	case len(cl) > 0:
		n, err := parseContentLength(cl)
		if err != nil {
			return err
		}
		r.ContentLength = n
		r.Body = &fixedBody{r: br, left: n}
	default:
		r.ContentLength = 0
		r.Body = http.NoBody
	}
	return nil
}

func parseContentLength(cl []string) (int64, error) {
	first := strings.TrimSpace(cl[0])
	for _, v := range cl[1:] {
		if strings.TrimSpace(v) != first {
			return 0, badRequestError("conflicting Content-Length values")
		}
	}
	n, err := strconv.ParseInt(first, 10, 64)
	if err != nil || n < 0 || strings.HasPrefix(first, "+") {
		return 0, badRequestError(fmt.Sprintf("bad Content-Length %q", truncate(first, 20)))
	}
	return n, nil
}

// fixedBody reads a Content-Length body, and calls a connection that ends
// before it what it is: a truncated body (io.ErrUnexpectedEOF), not a
// complete one.
type fixedBody struct {
	r    io.Reader
	left int64
}

func (f *fixedBody) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > f.left {
		p = p[:f.left]
	}
	n, err := f.r.Read(p)
	f.left -= int64(n)
	if err == io.EOF && f.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && f.left == 0 {
		err = io.EOF
	}
	return n, err
}

// chunkedBody reads a chunked body and then its trailer section, so that the
// connection is positioned at the next request.
type chunkedBody struct {
	r   *bufio.Reader
	cr  io.Reader
	req *inRequest
	eof bool
}

func (c *chunkedBody) Read(p []byte) (int, error) {
	if c.eof {
		return 0, io.EOF
	}
	n, err := c.cr.Read(p)
	if err == io.EOF {
		lines, terr := readTrailer(c.r)
		if terr != nil {
			return n, terr
		}
		if c.req.Trailers, terr = parseFields(lines); terr != nil {
			return n, terr
		}
		c.eof = true
	}
	return n, err
}

func readTrailer(br *bufio.Reader) ([]string, error) {
	var lines []string
	size := 0
	for {
		line, err := readLine(br, &size)
		if err != nil {
			return nil, fmt.Errorf("read chunked trailer: %w", err)
		}
		if line == "" {
			return lines, nil
		}
		lines = append(lines, line)
	}
}

// validToken reports whether s is an RFC 9110 token (method, field name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// hopByHop are header fields that belong to one connection (RFC 9110
// section 7.6.1) and are never forwarded.
var hopByHop = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization",
	"Proxy-Authenticate", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
}

// isHopByHop reports whether name is hop-by-hop, including the fields that
// the Connection header of this message names.
func isHopByHop(name string, connTokens []string) bool {
	for _, h := range hopByHop {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	for _, t := range connTokens {
		if strings.EqualFold(name, t) {
			return true
		}
	}
	return false
}

// connectionTokens lists the field names a Connection header names.
func connectionTokens(fields []store.Header) []string {
	var out []string
	for _, v := range values(fields, "Connection") {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// writeStatus writes a short response made by the proxy itself, such as a
// 502 that says why a request was not forwarded.
func writeStatus(w io.Writer, code int, msg string, closeConn bool) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", code, http.StatusText(code))
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	b.WriteString("X-Telltale-Error: 1\r\n")
	fmt.Fprintf(&b, "Content-Length: %d\r\n", len(msg)+1)
	if closeConn {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(msg)
	b.WriteString("\n")
	_, err := w.Write(b.Bytes())
	return err
}
