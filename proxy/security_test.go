package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/testpki"
	"github.com/telltale/telltale/store"
)

func TestProxy_UntrustedUpstream_NotImpersonated(t *testing.T) {
	up := newUpstream(t, false, echo)
	events := make(chan Event, 10)
	tp := newTestProxy(t, up, func(o *Options) {
		o.RootCAs = testpki.NewCA(t, "some other CA").Pool() // the upstream's CA is not trusted
		o.Observe = func(e Event) { events <- e }
	})
	resp, err := tp.client().Post("https://las.cloud.com/x", "text/plain", strings.NewReader("secret"))
	if err != nil {
		t.Fatal(err)
	}
	body := string(mustRead(resp.Body))
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "failed TLS verification") {
		t.Errorf("got %d %q, want 502 naming the verification failure", resp.StatusCode, body)
	}
	if n := len(up.got()); n != 0 {
		t.Errorf("upstream application saw %d requests, want 0", n)
	}
	c := tp.lastCapture(t)
	if !strings.Contains(c.Error, "certificate") {
		t.Errorf("capture error: got %q, want the verification error", c.Error)
	}
	if e := <-events; !e.UpstreamFailed || e.Host != "las.cloud.com" || fmt.Sprint(e.ID) != c.ID {
		t.Errorf("observed event: got %+v, want an upstream failure for capture %s", e, c.ID)
	}
}

func TestProxy_ClientNotAllowed(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, func(o *Options) {
		o.Allow = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	// Plain HTTP and CONNECT are both refused.
	resp, err := http.Get(tp.URL.String() + "/")
	if err == nil {
		resp.Body.Close()
	}
	conn, err := net.Dial("tcp", tp.URL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "CONNECT las.cloud.com:443 HTTP/1.1\r\nHost: las.cloud.com:443\r\n\r\n")
	r, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("CONNECT from a client outside clients.allow: got %d, want 403", r.StatusCode)
	}
	if len(up.got()) != 0 {
		t.Error("upstream was reached by a refused client")
	}
	caps, _ := tp.Store.List(store.Query{})
	if len(caps) == 0 || caps[len(caps)-1].Kind != store.CaptureDenied {
		t.Errorf("want a denied capture, got %+v", caps)
	}
}

func TestProxy_OthersDeny(t *testing.T) {
	tp := newTestProxy(t, nil, func(o *Options) { o.Deny = true })
	conn, err := net.Dial("tcp", tp.URL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "CONNECT www.example.org:443 HTTP/1.1\r\nHost: www.example.org:443\r\n\r\n")
	r, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("got %d, want 403", r.StatusCode)
	}
	caps, _ := tp.Store.List(store.Query{})
	if len(caps) != 1 || caps[0].Kind != store.CaptureDenied || caps[0].Host != "www.example.org" {
		t.Errorf("want one denied capture for www.example.org, got %+v", caps)
	}
}

func TestProxy_TunnelOthers(t *testing.T) {
	// A non-intercepted host is tunnelled: the client sees the upstream's
	// own certificate, and the tunnel is recorded with its byte counts.
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, nil)
	cl := tp.client()
	cl.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: up.CA.Pool(), ServerName: "las.cloud.com"}
	resp, err := cl.Get("https://other.example/")
	if err != nil {
		t.Fatal(err)
	}
	mustRead(resp.Body)
	resp.Body.Close()
	cl.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for {
		caps, _ := tp.Store.List(store.Query{})
		if len(caps) == 1 {
			c := caps[0]
			if c.Kind != store.CaptureTunnel || c.Host != "other.example" || c.RequestBytes == 0 || c.ResponseBytes == 0 {
				t.Errorf("tunnel capture: got %+v", c)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no tunnel capture; got %+v", caps)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// failingRecorder refuses every append, like a full disk.
type failingRecorder struct{ Recorder }

func (f failingRecorder) Append(context.Context, *store.Record, *store.Body) (uint64, error) {
	return 0, errors.New("disk full")
}

func TestProxy_WriteAheadFailure_NotForwarded(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, func(o *Options) { o.Recorder = failingRecorder{o.Recorder} })
	resp, err := tp.client().Post("https://las.cloud.com/x", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	body := string(mustRead(resp.Body))
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "disk full") {
		t.Errorf("got %d %q, want 502 saying why", resp.StatusCode, body)
	}
	if n := len(up.got()); n != 0 {
		t.Errorf("upstream got %d requests, want 0: nothing may be forwarded unrecorded", n)
	}
}

func TestProxy_BodyOverLimit_ForwardedWholeStoredTruncated(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, func(o *Options) { o.MaxBody = 1000 })
	sent := bytes.Repeat([]byte("0123456789"), 500)
	resp, err := tp.client().Post("https://las.cloud.com/big", "text/plain", bytes.NewReader(sent))
	if err != nil {
		t.Fatal(err)
	}
	mustRead(resp.Body)
	resp.Body.Close()
	if got := up.got()[0].Body; !bytes.Equal(got, sent) {
		t.Fatalf("upstream got %d bytes, want all %d", len(got), len(sent))
	}
	c := tp.lastCapture(t)
	if !c.Request.Truncated || c.Request.BodySize != int64(len(sent)) || c.Request.BodySHA256 != sum(sent) {
		t.Errorf("request message: got %+v, want truncated with the full size and hash", c.Request)
	}
	if got := tp.storedBody(t, c.Request); !bytes.Equal(got, sent[:1000]) {
		t.Errorf("stored: got %d bytes, want the first 1000", len(got))
	}
	if !c.Response.Truncated || c.Response.BodySize != int64(len(sent)+5) {
		t.Errorf("response message: got %+v", c.Response)
	}
}

// TestProxy_HeaderNamesKeepCase uses a raw client and a raw upstream, since
// Go's own client and server canonicalise names.
func TestProxy_HeaderNamesKeepCase(t *testing.T) {
	upCA := testpki.NewCA(t, "raw upstream")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{upCA.Server(t, "las.cloud.com")}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	heads := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		var head strings.Builder
		for {
			line, err := br.ReadString('\n')
			head.WriteString(line)
			if err != nil || line == "\r\n" {
				break
			}
		}
		heads <- head.String()
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	}()
	tp := newTestProxy(t, nil, func(o *Options) {
		o.RootCAs = upCA.Pool()
		o.Resolve = map[string]string{"las.cloud.com:443": ln.Addr().String()}
	})
	conn, err := net.Dial("tcp", tp.URL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "CONNECT las.cloud.com:443 HTTP/1.1\r\nHost: las.cloud.com:443\r\n\r\n")
	br := bufio.NewReader(conn)
	if r, err := http.ReadResponse(br, nil); err != nil || r.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", r, err)
	}
	tc := tls.Client(conn, &tls.Config{RootCAs: tp.pool(), ServerName: "las.cloud.com"})
	io.WriteString(tc, "GET /a%2Fb?q=1 HTTP/1.1\r\nHost: las.cloud.com\r\nx-lower: 1\r\nX-MiXeD: 2\r\nuser-agent: CitrixLicensing/11.17\r\n\r\n")
	r, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	head := <-heads
	for _, want := range []string{"GET /a%2Fb?q=1 HTTP/1.1\r\n", "\r\nx-lower: 1\r\n", "\r\nX-MiXeD: 2\r\n", "\r\nuser-agent: CitrixLicensing/11.17\r\n"} {
		if !strings.Contains(head, want) {
			t.Errorf("upstream head lacks %q:\n%s", want, head)
		}
	}
	if strings.Contains(head, "Go-http-client") || strings.Contains(head, "Accept-Encoding") {
		t.Errorf("proxy added headers the client did not send:\n%s", head)
	}
}
