package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/telltale/telltale/store"
)

// outbound is one intercepted request on its way upstream, from either the
// MITM loop or the plain-HTTP path.
type outbound struct {
	client  string         // ip:port
	process *store.Process // the program on this host that sent it (sender.go); nil: a remote client
	scheme  string         // https or http
	host    string         // lowercase, no port
	port    string
	in      *inRequest

	start   time.Time
	capture uint64      // Seq of the request record
	body    *store.Body // request body as stored
	// overflow is set when the request body was longer than MaxBody: the
	// rest still streams from the client while it is forwarded.
	overflow bool
	out      *http.Request
	aborted  func() bool // reports a proxy shutdown cut, for the error text
	// watch, when set, cancels the round trip if the client goes away
	// while the response head is awaited, until stop is called.
	watch func(cancel context.CancelCauseFunc) (stop func())
}

// capturedURL is the absolute URL recorded for the request.
func (o *outbound) capturedURL() string {
	return o.scheme + "://" + o.authority() + o.in.Target
}

// authority is host[:port], without the scheme's default port.
func (o *outbound) authority() string {
	if (o.scheme == "https" && o.port == "443") || (o.scheme == "http" && o.port == "80") {
		return o.host
	}
	return o.host + ":" + o.port
}

// forward records the request, then sends it upstream. On any failure the
// returned response is one Telltale made (502 and a reason), so the caller
// always has something to write back. done must be called once the response
// body has been written to the client (or abandoned).
func (p *Proxy) forward(ctx context.Context, o *outbound) *http.Response {
	o.start = p.now()
	if err := p.writeAhead(ctx, o); err != nil {
		var ce clientBodyError
		if errors.As(err, &ce) {
			// The client's fault, not the store's: nothing to alert on.
			p.log.Warn().Err(err).Str("client", o.client).Str("url", o.capturedURL()).Msg("request not forwarded: its body could not be read")
			return errorResponse(http.StatusBadRequest, "telltale: request not forwarded: "+err.Error())
		}
		id := p.recordRefused(o, err) // notrecorded.go
		p.observe(Event{Kind: store.CaptureExchange, ID: id, Host: o.host, Method: o.in.Method, URL: o.capturedURL(), Err: err.Error(), CaptureFailed: true})
		p.log.Error().Err(err).Str("client", o.client).Str("url", o.capturedURL()).Msg("request not forwarded: capture failed")
		return errorResponse(http.StatusBadGateway, "telltale: request not forwarded, because it could not be recorded: "+err.Error())
	}
	committed := p.now()
	ctx, cancel := p.upstreamContext(ctx)
	out, err := p.outboundRequest(ctx, o)
	if err != nil {
		cancel(nil)
		p.finish(o, nil, nil, committed, time.Time{}, err)
		return errorResponse(http.StatusBadRequest, "telltale: "+err.Error())
	}
	resp, err := p.roundTrip(o, out, cancel)
	if err != nil {
		cancel(nil)
		err = upstreamError(o.host, err)
		p.finish(o, nil, nil, committed, time.Time{}, err)
		return errorResponse(http.StatusBadGateway, "telltale: "+err.Error())
	}
	firstByte := p.now()
	cb := &captureBody{ctx: ctx, src: resp.Body, body: p.opts.Recorder.NewBody(p.opts.MaxBody)}
	cb.body.Expect(resp.ContentLength)
	cb.done = func() { cancel(nil); p.finish(o, resp, cb, committed, firstByte, cb.failure()) }
	resp.Body = cb
	return resp
}

// writeAhead spools the request body and durably appends the request
// record: nothing goes upstream before this returns nil.
func (p *Proxy) writeAhead(ctx context.Context, o *outbound) error {
	o.body = p.opts.Recorder.NewBody(p.opts.MaxBody)
	o.body.Expect(o.in.ContentLength)
	rest, err := spool(o.body, o.in.Body, p.opts.MaxBody)
	if err != nil {
		o.body.Close()
		return clientBodyError{err}
	}
	o.overflow = rest != nil
	rec := &store.Record{
		Kind:    store.KindRequest,
		Time:    o.start,
		Client:  o.client,
		Process: o.process,
		Host:    o.host,
		Port:    o.port,
		Head: &store.Head{
			Method:   o.in.Method,
			URL:      o.capturedURL(),
			Proto:    o.in.Proto,
			Headers:  o.in.Fields,
			Trailers: o.in.Trailers,
		},
	}
	if o.overflow {
		rec.Body = o.body.PartialRef()
	}
	seq, err := p.opts.Recorder.Append(ctx, rec, o.body)
	if err != nil {
		o.body.Close()
		return err
	}
	o.capture = seq
	stored, err := o.body.Stored()
	if err != nil {
		return fmt.Errorf("reopen stored request body: %w", err)
	}
	if o.overflow {
		// The rest of the body is hashed on its way upstream; the final
		// hash goes into the response record.
		o.in.Body = io.MultiReader(stored, io.TeeReader(rest, o.body))
	} else {
		o.in.Body = stored
	}
	return nil
}

// clientBodyError is a request body the client did not deliver (it went
// away, stalled or sent a malformed chunk).
type clientBodyError struct{ err error }

func (e clientBodyError) Error() string { return "read request body from client: " + e.err.Error() }
func (e clientBodyError) Unwrap() error { return e.err }

// spool copies up to limit bytes of src into b. When src holds more, it
// returns a reader of the remainder (nil otherwise).
func spool(b *store.Body, src io.Reader, limit int64) (io.Reader, error) {
	n, err := copyPooled(b, io.LimitReader(src, limit))
	if err != nil {
		return nil, err
	}
	if n < limit {
		return nil, nil
	}
	// Exactly limit bytes so far: is there more?
	var one [1]byte
	m, err := io.ReadFull(src, one[:])
	if m == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
		return nil, nil
	}
	if m == 0 {
		return nil, err
	}
	return io.MultiReader(bytes.NewReader(one[:]), src), nil
}

// outboundRequest builds the upstream request: same method, target, header
// names and values (minus hop-by-hop fields), and body.
func (p *Proxy) outboundRequest(ctx context.Context, o *outbound) (*http.Request, error) {
	u, err := targetURL(o.scheme, o.authority(), o.in.Target)
	if err != nil {
		return nil, err
	}
	out := (&http.Request{
		Method:     o.in.Method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     make(http.Header, len(o.in.Fields)),
		Host:       o.authority(),
	}).WithContext(ctx)
	copyFields(out, o.in)
	switch {
	case o.in.Chunked || o.overflow && o.in.ContentLength < 0:
		out.ContentLength = -1
		out.TransferEncoding = []string{"chunked"}
		out.Body = io.NopCloser(o.in.Body)
	case o.in.ContentLength > 0:
		out.ContentLength = o.in.ContentLength
		out.Body = io.NopCloser(o.in.Body)
	default:
		out.Body = nil
	}
	if len(o.in.Trailers) > 0 {
		out.Trailer = make(http.Header)
		for _, f := range o.in.Trailers {
			out.Trailer[f.Name] = append(out.Trailer[f.Name], f.Value)
		}
	}
	o.out = out
	return out, nil
}

// copyFields puts the client's header fields into out.Header under their
// original names. net/http writes map keys as they are, but it writes Host,
// User-Agent and the framing fields itself, so those are handled here.
func copyFields(out *http.Request, in *inRequest) {
	conn := connectionTokens(in.Fields)
	for _, f := range in.Fields {
		switch {
		case isHopByHop(f.Name, conn), strings.EqualFold(f.Name, "Content-Length"):
			continue
		case strings.EqualFold(f.Name, "Host"):
			out.Host = f.Value
			continue
		}
		out.Header[f.Name] = append(out.Header[f.Name], f.Value)
	}
	if _, ok := out.Header["User-Agent"]; !ok {
		// An empty canonical User-Agent stops net/http from adding its own,
		// whether the client sent none or sent one under another case
		// (which is then written as the client spelled it).
		out.Header["User-Agent"] = []string{""}
	}
}

// upstreamError words an upstream failure for the client and the capture.
func upstreamError(host string, err error) error {
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) {
		return fmt.Errorf("upstream %s failed TLS verification, not impersonated: %w", host, err)
	}
	return fmt.Errorf("upstream %s: %w", host, err)
}

// errorResponse is a response made by Telltale itself.
func errorResponse(code int, msg string) *http.Response {
	body := msg + "\n"
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", code, http.StatusText(code)),
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-Telltale-Error": {"1"}},
		ContentLength: int64(len(body)),
		Body:          io.NopCloser(strings.NewReader(body)),
	}
}

// captureBody tees an upstream response body into the store while the
// client reads it, and calls done once on Close.
type captureBody struct {
	ctx  context.Context // the round trip's
	src  io.ReadCloser
	body *store.Body
	done func()

	mu      sync.Mutex
	n       int64
	eof     bool
	readErr error
	wErr    error // set by the writer side: the client went away
	once    sync.Once
}

func (c *captureBody) Read(p []byte) (int, error) {
	n, err := c.src.Read(p)
	err = causeOf(c.ctx, err)
	if n > 0 {
		if _, werr := c.body.Write(p[:n]); werr != nil && err == nil {
			err = fmt.Errorf("store response body: %w", werr)
		}
	}
	c.mu.Lock()
	c.n += int64(n)
	switch {
	case err == io.EOF:
		c.eof = true
	case err != nil && c.readErr == nil:
		c.readErr = err
	}
	c.mu.Unlock()
	return n, err
}

// clientFailed notes that writing to the client failed.
func (c *captureBody) clientFailed(err error) {
	c.mu.Lock()
	if c.wErr == nil {
		c.wErr = err
	}
	c.mu.Unlock()
}

// failure says why the body did not complete, or nil when it did.
func (c *captureBody) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.readErr != nil:
		return fmt.Errorf("upstream body failed after %d bytes: %w", c.n, c.readErr)
	case c.wErr != nil:
		return fmt.Errorf("client went away after %d response bytes: %w", c.n, c.wErr)
	case !c.eof:
		return fmt.Errorf("client went away after %d response bytes", c.n)
	}
	return nil
}

func (c *captureBody) Close() error {
	err := c.src.Close()
	c.once.Do(c.done)
	return err
}

// finish appends the response record that completes o's capture. It runs
// in the background (the client already has its response) and Shutdown
// waits for it.
func (p *Proxy) finish(o *outbound, resp *http.Response, cb *captureBody, committed, firstByte time.Time, err error) {
	end := p.now()
	if err != nil && o.aborted != nil && o.aborted() {
		err = fmt.Errorf("interrupted: proxy shutting down: %w", err)
	}
	rec := &store.Record{
		Kind:    store.KindResponse,
		Capture: o.capture,
		Time:    end,
		Client:  o.client,
		Host:    o.host,
		Port:    o.port,
		Timings: &store.Timings{Start: o.start, Committed: committed, FirstByte: firstByte, End: end},
	}
	if err != nil {
		rec.Error = err.Error()
	}
	if o.overflow {
		ref := o.body.Ref()
		rec.RequestBody = &ref
	}
	var body *store.Body
	if resp != nil {
		rec.Head = responseHead(resp)
		rec.TLS = tlsInfo(resp.TLS)
		body = cb.body
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer o.body.Close()
		if body != nil {
			defer body.Close()
		}
		p.appendResponse(o, rec, body)
	}()
}

func (p *Proxy) appendResponse(o *outbound, rec *store.Record, body *store.Body) {
	_, aerr := p.opts.Recorder.AppendLazy(context.Background(), rec, body)
	if aerr != nil {
		aerr = p.retryResponse(o, rec, body, aerr) // notrecorded.go
	}
	e := exchangeEvent(o, rec, aerr)
	// One line per exchange is at debug level: at info it costs a tenth of
	// the proxy's CPU; metrics and the store count exchanges anyway.
	ev := p.log.Debug()
	switch {
	case aerr != nil:
		ev, e.Err = p.log.Error(), notRecordedWhy(rec, aerr)
	case e.Err != "":
		ev = p.log.Warn()
	}
	ev.Uint64("id", e.ID).Str("client", o.client).Str("method", e.Method).Str("url", e.URL).
		Int("status", e.Status).Int64("request_bytes", e.RequestBytes).Int64("response_bytes", e.ResponseBytes).
		Dur("duration", e.Duration).Str("error", e.Err).AnErr("capture_error", aerr).Msg("exchange")
	p.observe(e)
	if aerr != nil {
		p.markNotRecorded(o, rec, aerr)
	}
}

// responseHead records a response head. net/http has already canonicalised
// the names; fields are sorted for a stable record.
func responseHead(resp *http.Response) *store.Head {
	h := &store.Head{Status: resp.StatusCode, Proto: resp.Proto, Headers: sortedFields(resp.Header)}
	if len(resp.TransferEncoding) > 0 {
		h.Headers = append(h.Headers, store.Header{Name: "Transfer-Encoding", Value: strings.Join(resp.TransferEncoding, ", ")})
	}
	h.Trailers = sortedFields(resp.Trailer)
	return h
}

func sortedFields(h http.Header) []store.Header {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []store.Header
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, store.Header{Name: k, Value: v})
		}
	}
	return out
}

func tlsInfo(cs *tls.ConnectionState) *store.TLSInfo {
	if cs == nil {
		return nil
	}
	info := &store.TLSInfo{
		ServerName:  cs.ServerName,
		Version:     tls.VersionName(cs.Version),
		CipherSuite: cipherSuiteName(cs.CipherSuite),
		ALPN:        cs.NegotiatedProtocol,
	}
	if len(cs.PeerCertificates) > 0 {
		info.LeafSHA256 = leafSHA256(cs.PeerCertificates[0])
	}
	return info
}

// cipherSuiteNames is tls.CipherSuiteName's table, made once: the function
// builds its list of suites anew at each call.
var cipherSuiteNames = sync.OnceValue(func() map[uint16]string {
	m := map[uint16]string{}
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		m[c.ID] = c.Name
	}
	return m
})

func cipherSuiteName(id uint16) string {
	if name, ok := cipherSuiteNames()[id]; ok {
		return name
	}
	return tls.CipherSuiteName(id)
}

// lastLeaf is the upstream certificate last hashed with its hash: every
// response on a kept-alive connection carries the same one.
var lastLeaf atomic.Pointer[leafHash]

type leafHash struct {
	cert *x509.Certificate
	sum  string
}

// leafSHA256 is the hex SHA-256 of an upstream leaf certificate.
func leafSHA256(c *x509.Certificate) string {
	if l := lastLeaf.Load(); l != nil && l.cert == c {
		return l.sum
	}
	sum := sha256.Sum256(c.Raw)
	l := &leafHash{cert: c, sum: hex.EncodeToString(sum[:])}
	lastLeaf.Store(l)
	return l.sum
}

// copyBufs are io.Copy buffers: one per exchange and direction would
// otherwise be the proxy's largest allocation.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func copyPooled(dst io.Writer, src io.Reader) (int64, error) {
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	return io.CopyBuffer(dst, src, *buf)
}
