package proxy

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawExchange sends raw bytes to the proxy and returns the status of the
// reply, or 0 when the proxy closed without one.
func rawExchange(t *testing.T, addr, send string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, send)
	r, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	return r.StatusCode
}

func TestProxy_BadInput_Refused(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, nil)
	cases := []struct {
		name, send string
		want       int
	}{
		{"CONNECT without port number", "CONNECT las.cloud.com:http HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"CONNECT port out of range", "CONNECT las.cloud.com:99999 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"CONNECT garbage target", "CONNECT /../etc HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"non-HTTP bytes", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", 400},
		{"header flood", "GET http://las.cloud.com/ HTTP/1.1\r\nHost: las.cloud.com\r\n" + strings.Repeat("X-Flood: "+strings.Repeat("a", 1000)+"\r\n", 200) + "\r\n", 431},
		{"not a proxy request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := rawExchange(t, tp.URL.Host, tc.send); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
	if len(up.got()) != 0 {
		t.Errorf("upstream got %d requests from bad input", len(up.got()))
	}
}

// mitmConn opens an intercepted TLS connection through the proxy.
func mitmConn(t *testing.T, tp *testProxy, host string) *tls.Conn {
	t.Helper()
	c, err := net.Dial("tcp", tp.URL.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n", host, host)
	// Read the 200 byte by byte so no TLS bytes are consumed.
	var head []byte
	one := make([]byte, 1)
	for !strings.HasSuffix(string(head), "\r\n\r\n") {
		if _, err := c.Read(one); err != nil {
			t.Fatalf("CONNECT reply: %v", err)
		}
		head = append(head, one[0])
	}
	if !strings.HasPrefix(string(head), "HTTP/1.1 200") {
		t.Fatalf("CONNECT reply: %q", head)
	}
	tc := tls.Client(c, &tls.Config{RootCAs: tp.pool(), ServerName: host})
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	return tc
}

func TestProxy_BadInput_InsideTLS(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, nil)
	cases := []struct {
		name, send string
		want       int
	}{
		{"garbage", "\x00\x01\x02 hello\r\n\r\n", 400},
		{"HTTP/2 preface without ALPN", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
		{"header flood", "GET / HTTP/1.1\r\nHost: las.cloud.com\r\n" + strings.Repeat("X: "+strings.Repeat("b", 4000)+"\r\n", 40) + "\r\n", 431},
		{"smuggling: both lengths", "POST / HTTP/1.1\r\nHost: las.cloud.com\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"bad content length", "POST / HTTP/1.1\r\nHost: las.cloud.com\r\nContent-Length: -1\r\n\r\n", 400},
		{"obsolete line folding", "GET / HTTP/1.1\r\nHost: las.cloud.com\r\nX: a\r\n b\r\n\r\n", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mitmConn(t, tp, "las.cloud.com")
			io.WriteString(c, tc.send)
			r, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("no reply: %v", err)
			}
			if r.StatusCode != tc.want {
				t.Errorf("got %d, want %d", r.StatusCode, tc.want)
			}
		})
	}
	if len(up.got()) != 0 {
		t.Errorf("upstream got %d requests from bad input", len(up.got()))
	}
}

func TestProxy_SlowClients_DoNotHarmOthers(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, nil)
	// Ten clients that start a head inside TLS and then stall, and ten that
	// stall on the proxy's own port.
	var slow []net.Conn
	for i := 0; i < 10; i++ {
		c := mitmConn(t, tp, "las.cloud.com")
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: las.cloud.com\r\n")
		slow = append(slow, c)
		p, err := net.Dial("tcp", tp.URL.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		io.WriteString(p, "CONNECT las.cloud.com:443 HTTP/1.1\r\n")
		slow = append(slow, p)
	}
	start := time.Now()
	resp, err := tp.client().Post("https://las.cloud.com/ok", "text/plain", strings.NewReader("fine"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(mustRead(resp.Body)); got != "echo:fine" {
		t.Errorf("good client got %q", got)
	}
	resp.Body.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("good client took %v while slow clients stalled", d)
	}
	// The stalled ones are cut once the head timeout (2s here) passes.
	for i, c := range slow {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(c)
		if i%2 == 0 && !strings.Contains(string(b), "408") {
			t.Errorf("stalled TLS client %d: got %q, want a 408 before close", i, b)
		}
	}
}

func TestProxy_ClientGoneMidBody_NotACaptureFailure(t *testing.T) {
	up := newUpstream(t, false, echo)
	events := make(chan Event, 10)
	tp := newTestProxy(t, up, func(o *Options) { o.Observe = func(e Event) { events <- e } })
	c := mitmConn(t, tp, "las.cloud.com")
	io.WriteString(c, "POST /x HTTP/1.1\r\nHost: las.cloud.com\r\nContent-Length: 100\r\n\r\nonly ten b")
	c.CloseWrite()
	r, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	if r.StatusCode != http.StatusBadRequest {
		t.Errorf("got %d, want 400", r.StatusCode)
	}
	select {
	case e := <-events:
		t.Errorf("observed %+v: a client that went away is not a capture failure", e)
	case <-time.After(100 * time.Millisecond):
	}
	if len(up.got()) != 0 {
		t.Error("a request without its whole body reached the upstream")
	}
}

func TestProxy_UpstreamCutsResponse_ClientSeesItAndCaptureSaysSo(t *testing.T) {
	up := newUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, "only part of it")
		w.(http.Flusher).Flush()
		if hj, ok := w.(http.Hijacker); ok {
			c, _, _ := hj.Hijack()
			c.Close()
		}
	})
	tp := newTestProxy(t, up, nil)
	resp, err := tp.client().Get("https://las.cloud.com/cut")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Error("client read a cut response as complete")
	}
	c := tp.lastCapture(t)
	if !strings.Contains(c.Error, "upstream body failed") {
		t.Errorf("capture error: got %q, want the upstream failure", c.Error)
	}
}

func TestProxy_PipelinedRequests_AnsweredInOrder(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, nil)
	c := mitmConn(t, tp, "las.cloud.com")
	io.WriteString(c, "POST /1 HTTP/1.1\r\nHost: las.cloud.com\r\nContent-Length: 3\r\n\r\none"+
		"POST /2 HTTP/1.1\r\nHost: las.cloud.com\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n"+
		"GET /3 HTTP/1.1\r\nHost: las.cloud.com\r\n\r\n")
	br := bufio.NewReader(c)
	for _, want := range []string{"echo:one", "echo:two", "echo:"} {
		r, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		if string(b) != want {
			t.Errorf("got %q, want %q", b, want)
		}
	}
}
