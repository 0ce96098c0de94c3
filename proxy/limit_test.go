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

	"github.com/telltale/telltale/store"
)

// connectReply sends a CONNECT for host and returns the proxy's status line.
func connectReply(t *testing.T, addr, host string) (net.Conn, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n", host, host)
	line, err := readHeadBytewise(c)
	if err != nil {
		return c, "no reply: " + err.Error()
	}
	return c, line
}

// readHeadBytewise reads a response head without reading past it, and
// returns its status line.
func readHeadBytewise(c net.Conn) (string, error) {
	var head []byte
	one := make([]byte, 1)
	for !strings.HasSuffix(string(head), "\r\n\r\n") {
		if _, err := c.Read(one); err != nil {
			return "", err
		}
		head = append(head, one[0])
	}
	line, _, _ := strings.Cut(string(head), "\r\n")
	return line, nil
}

func TestProxy_MaxClientConns_503PastTheCap(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, func(o *Options) { o.MaxClientConns = 3 })
	var held []*tls.Conn
	for i := 0; i < 3; i++ {
		held = append(held, mitmConn(t, tp, "las.cloud.com"))
	}
	c, err := net.Dial("tcp", tp.URL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT las.cloud.com:443 HTTP/1.1\r\nHost: las.cloud.com:443\r\n\r\n")
	r, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("connection past the cap: no reply: %v", err)
	}
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "limits.max_client_conns") {
		t.Errorf("connection past the cap: got %d %q, want 503 naming limits.max_client_conns", r.StatusCode, body)
	}
	// The held connections still work, and closing one frees a slot.
	io.WriteString(held[0], "GET /still HTTP/1.1\r\nHost: las.cloud.com\r\n\r\n")
	if r, err := http.ReadResponse(bufio.NewReader(held[0]), nil); err != nil || r.StatusCode != 200 {
		t.Errorf("held connection: got %v, %v; want 200", r, err)
	}
	held[1].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, line := connectReply(t, tp.URL.Host, "las.cloud.com")
		if strings.Contains(line, " 200 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after closing a held connection: got %q, want 200", line)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestProxy_IdleTunnel_ClosedAndRecorded(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, func(o *Options) { o.TunnelIdleTimeout = 300 * time.Millisecond })
	c, line := connectReply(t, tp.URL.Host, "other.example")
	if !strings.Contains(line, " 200 ") {
		t.Fatalf("CONNECT: got %q, want 200", line)
	}
	start := time.Now()
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("idle tunnel: read got %v, want EOF (closed by the proxy)", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("idle tunnel closed after %v", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		caps, _ := tp.Store.List(store.Query{})
		if len(caps) == 1 {
			if caps[0].Kind != store.CaptureTunnel || !strings.Contains(caps[0].Error, "limits.tunnel_idle_timeout") {
				t.Errorf("tunnel capture: got %+v, want the idle timeout", caps[0])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no tunnel capture; got %+v", caps)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A download that streams for 2.5 times the idle timeout, while the client
// sends nothing, is not idle: bytes move one way.
func TestProxy_BusyTunnel_OneWayTraffic_NotClosed(t *testing.T) {
	up := newUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 25; i++ {
			fmt.Fprintf(w, "chunk %d\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	})
	tp := newTestProxy(t, up, func(o *Options) { o.TunnelIdleTimeout = time.Second })
	cl := tp.client()
	cl.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: up.CA.Pool(), ServerName: "las.cloud.com"}
	resp, err := cl.Get("https://other.example/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || !strings.HasSuffix(string(b), "chunk 24\n") {
		t.Errorf("streamed download through a tunnel: got %q, %v; want all 25 chunks", b, err)
	}
}

func TestProxy_PlainHTTP_StalledBody_Cut(t *testing.T) {
	up, conns := countingUpstream(t, false)
	tp := newTestProxy(t, up, func(o *Options) { o.IdleTimeout = 500 * time.Millisecond })
	got := rawExchange(t, tp.URL.Host, "POST http://las.cloud.com/x HTTP/1.1\r\nHost: las.cloud.com\r\nContent-Length: 100\r\n\r\nonly ten b")
	if got != http.StatusBadRequest {
		t.Errorf("got %d, want 400 once the body stalled for the idle timeout", got)
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("upstream got %d connections for a request whose body never came", n)
	}
}
