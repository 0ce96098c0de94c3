package proxy

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/telltale/telltale/internal/testpki"
)

// An HTTP/1.1 upstream that closes a reused keep-alive connection without
// answering: net/http's Transport would send a GET again on a new
// connection, unrecorded.
func TestUpstream_ReusedConnectionClosed_NotResent(t *testing.T) {
	up := newUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/close" {
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
			return
		}
		io.WriteString(w, "ok")
	})
	tp := newTestProxy(t, up, nil)
	c := mitmConn(t, tp, "las.cloud.com")
	br := bufio.NewReader(c)
	for _, path := range []string{"/first", "/close"} {
		io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: las.cloud.com\r\n\r\n")
		r, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: no reply: %v", path, err)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if path == "/close" && r.StatusCode != http.StatusBadGateway {
			t.Errorf("%s: got %d, want 502", path, r.StatusCode)
		}
	}
	n := 0
	for _, g := range up.got() {
		if g.URI == "/close" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("upstream got /close %d times, want once", n)
	}
}

// refusingH2Upstream is an HTTP/2 server that answers every request's
// headers with refuse (a GOAWAY or a RST_STREAM that net/http's Transport
// takes as leave to retry) and closes, counting the requests it saw.
func refusingH2Upstream(t *testing.T, refuse func(*http2.Framer, uint32)) (addr string, ca *testpki.CA, requests *atomic.Int64) {
	t.Helper()
	ca = testpki.NewCA(t, "Vendor test CA")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{ca.Server(t, "las.cloud.com")},
		NextProtos:   []string{"h2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	requests = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveRefusing(c, refuse, requests)
		}
	}()
	return ln.Addr().String(), ca, requests
}

func serveRefusing(c net.Conn, refuse func(*http2.Framer, uint32), requests *atomic.Int64) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, len(http2.ClientPreface))); err != nil {
		return
	}
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.HeadersFrame:
			requests.Add(1)
			refuse(fr, f.StreamID)
			return
		}
	}
}

func TestUpstream_HTTP2RefusedAfterHeaders_NotResent(t *testing.T) {
	refusals := map[string]func(*http2.Framer, uint32){
		"GOAWAY":              func(fr *http2.Framer, _ uint32) { fr.WriteGoAway(0, http2.ErrCodeNo, nil) },
		"RST_STREAM refused":  func(fr *http2.Framer, id uint32) { fr.WriteRSTStream(id, http2.ErrCodeRefusedStream) },
		"RST_STREAM protocol": func(fr *http2.Framer, id uint32) { fr.WriteRSTStream(id, http2.ErrCodeProtocol) },
	}
	requests := map[string]string{
		"GET":                       "GET /x HTTP/1.1\r\nHost: las.cloud.com\r\n\r\n",
		"POST with Idempotency-Key": "POST /x HTTP/1.1\r\nHost: las.cloud.com\r\nIdempotency-Key: 1\r\nContent-Length: 0\r\n\r\n",
	}
	for rname, refuse := range refusals {
		for qname, send := range requests {
			t.Run(rname+"/"+qname, func(t *testing.T) {
				testH2Refused(t, refuse, send)
			})
		}
	}
}

func testH2Refused(t *testing.T, refuse func(*http2.Framer, uint32), send string) {
	addr, ca, requests := refusingH2Upstream(t, refuse)
	tp := newTestProxy(t, nil, func(o *Options) {
		o.RootCAs = ca.Pool()
		o.Resolve = map[string]string{"las.cloud.com:443": addr}
	})
	c := mitmConn(t, tp, "las.cloud.com")
	io.WriteString(c, send)
	r, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	if r.StatusCode != http.StatusBadGateway {
		t.Errorf("got %d, want 502", r.StatusCode)
	}
	c.Close()
	// The 502 is written once the round trip, retries included, gave up:
	// every attempt reached the upstream before it.
	if n := requests.Load(); n != 1 {
		t.Errorf("upstream got the request %d times, want once", n)
	}
}

// stallUpstream calls head (which may write a response head and part of a
// body), then holds the request until the proxy drops it, and reports on
// ended when it did.
func stallUpstream(t *testing.T, h2 bool, head func(http.ResponseWriter)) (*upstream, chan struct{}, chan struct{}) {
	started, ended := make(chan struct{}, 1), make(chan struct{}, 1)
	up := newUpstream(t, h2, func(w http.ResponseWriter, r *http.Request) {
		head(w)
		started <- struct{}{}
		select {
		case <-r.Context().Done():
			ended <- struct{}{}
		case <-time.After(20 * time.Second):
		}
	})
	return up, started, ended
}

func TestUpstream_Timeout_CoversHeadAndBody(t *testing.T) {
	cases := []struct {
		name string
		head func(http.ResponseWriter)
	}{
		{"no head", func(http.ResponseWriter) {}},
		{"head and half a body", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "half")
			w.(http.Flusher).Flush()
		}},
	}
	for _, tc := range cases {
		for _, h2 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/h2=%v", tc.name, h2), func(t *testing.T) {
				testUpstreamTimeout(t, h2, tc.head)
			})
		}
	}
}

func testUpstreamTimeout(t *testing.T, h2 bool, head func(http.ResponseWriter)) {
	up, _, ended := stallUpstream(t, h2, head)
	tp := newTestProxy(t, up, func(o *Options) { o.UpstreamTimeout = 500 * time.Millisecond })
	resp, err := tp.client().Get("https://las.cloud.com/stall")
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("upstream request still open 10s after upstream.timeout")
	}
	if c := tp.lastCapture(t); !strings.Contains(c.Error, "upstream.timeout") {
		t.Errorf("capture error: got %q, want the upstream.timeout", c.Error)
	}
}

func TestUpstream_ClientGone_CancelsRoundTrip(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "http1", true: "http2"}[h2], func(t *testing.T) {
			up, started, ended := stallUpstream(t, h2, func(http.ResponseWriter) {})
			tp := newTestProxy(t, up, func(o *Options) { o.UpstreamTimeout = time.Minute })
			c := mitmConn(t, tp, "las.cloud.com")
			io.WriteString(c, "GET /wait HTTP/1.1\r\nHost: las.cloud.com\r\n\r\n")
			select {
			case <-started:
			case <-time.After(10 * time.Second):
				t.Fatal("the request never reached the upstream")
			}
			c.Close()
			select {
			case <-ended:
			case <-time.After(10 * time.Second):
				t.Fatal("upstream request still open 10s after its client left")
			}
			if c := tp.lastCapture(t); !strings.Contains(c.Error, "client went away") {
				t.Errorf("capture error: got %q, want the client's departure", c.Error)
			}
		})
	}
}

func TestUpstreamPool_ClosesIdleConnections(t *testing.T) {
	closed := make(chan struct{}, 1)
	up := newUpstreamConfig(t, false, echo, func(s *http.Server) {
		s.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateClosed {
				closed <- struct{}{}
			}
		}
	})
	pool := newUpstreamPool(newTransport(Options{RootCAs: up.CA.Pool(), Resolve: resolveTo(up.Listener.Addr().String())}), 200*time.Millisecond)
	defer pool.Close()
	req, _ := http.NewRequest("GET", "https://las.cloud.com/idle", nil)
	resp, err := pool.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("an idle upstream connection stayed open 5s past the pool's idle time")
	}
}
