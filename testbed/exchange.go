package testbed

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// maxBody bounds what the LAS reads of one request body unless
// LASOptions.MaxBody says otherwise, and what it decompresses of one file.
const maxBody = 64 << 20

// Header is one header field as the LAS received it.
type Header struct {
	Name  string
	Value string
}

// Exchange is one request the LAS received and the status it answered.
type Exchange struct {
	Time     time.Time // from LASOptions.Now, when the request arrived
	Endpoint Endpoint  // "" when no route matched
	Conn     int       // 1-based sequence number of the TCP connection
	Remote   string    // the peer's address: the proxy's, when proxied
	SNI      string    // TLS server name the peer asked for
	ALPN     string    // negotiated protocol: "h2", "http/1.1" or ""
	Proto    string    // HTTP/1.1 or HTTP/2.0
	Method   string
	Host     string // without port
	URL      string // https://host/path?query, as requested
	// Header holds the request's fields. Over HTTP/1.x they are in wire
	// order and case, Host included. Over HTTP/2 net/http does not expose
	// the order: they are sorted by canonical name, pseudo-headers omitted.
	Header []Header
	// Body is the request body as received: transfer coding (chunking)
	// removed, content coding (gzip) kept.
	Body     []byte
	Status   int
	Response []byte // response body as sent
}

// Get returns the value of the first field named name (any case), or "".
func (e Exchange) Get(name string) string {
	for _, h := range e.Header {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

type exchangeKey struct{}

// setEndpoint names the endpoint of the exchange being recorded.
func setEndpoint(ctx context.Context, e Endpoint) {
	if ex, ok := ctx.Value(exchangeKey{}).(*Exchange); ok {
		ex.Endpoint = e
	}
}

// ServeHTTP records every request, then routes it by Host and path.
func (l *LAS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := l.newExchange(r)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, cmp.Or(l.opts.MaxBody, maxBody)))
	ex.Body = body
	rec := &recorder{ResponseWriter: w}
	// Invented: Citrix Cloud APIs answer with a transaction id; this one is
	// derived from the request so that replies are reproducible.
	w.Header().Set("Citrix-TransactionId", uuidOf(l.derive("txn", ex.Method, ex.URL, sha256Hex(body))))
	if err != nil {
		writeError(rec, http.StatusBadRequest, "read body: "+err.Error())
	} else {
		r.Body = io.NopCloser(bytes.NewReader(body))
		l.mux.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex)))
	}
	ex.Status = rec.status
	if ex.Status == 0 {
		ex.Status = http.StatusOK
	}
	ex.Response = rec.body.Bytes()
	l.mu.Lock()
	l.received = append(l.received, *ex)
	l.mu.Unlock()
	l.log.Debug().Str("endpoint", string(ex.Endpoint)).Str("method", ex.Method).
		Str("url", ex.URL).Int("status", ex.Status).Int("bytes", len(body)).Msg("las: exchange")
}

func (l *LAS) newExchange(r *http.Request) *Exchange {
	target := r.RequestURI
	if target == "" || r.ProtoMajor == 2 {
		target = r.URL.RequestURI()
	}
	ex := &Exchange{
		Time:   l.now(),
		Remote: r.RemoteAddr,
		Proto:  r.Proto,
		Method: r.Method,
		Host:   hostOnly(r.Host),
		URL:    "https://" + r.Host + target,
	}
	if tc, ok := r.Context().Value(connKey{}).(*tapConn); ok {
		st := tc.tls.ConnectionState()
		ex.Conn, ex.SNI, ex.ALPN = tc.id, st.ServerName, st.NegotiatedProtocol
		if r.ProtoMajor == 1 {
			ex.Header, _ = tc.head(r.Method, r.RequestURI)
		}
	}
	if ex.Header == nil {
		ex.Header = sortedHeader(r.Header)
	}
	return ex
}

func sortedHeader(h http.Header) []Header {
	var hs []Header
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			hs = append(hs, Header{Name: k, Value: v})
		}
	}
	return hs
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// recorder keeps the status and a copy of the response body.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}
