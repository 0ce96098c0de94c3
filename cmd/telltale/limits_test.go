package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/server"
)

// adminAddrOf is the admin API's host:port of the serve using dataDir.
func adminAddrOf(t *testing.T, dataDir string) string {
	t.Helper()
	info, ok := server.ReadAdminInfo(dataDir)
	if !ok {
		t.Fatalf("no %s in %s", server.AdminInfoFile, dataDir)
	}
	return server.DialAddr(info.Addr)
}

func TestServe_MaxClientConns_ProxyFullAdminStillAnswers(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "limits:\n  max_client_conns: 2\n")
	addr := startServe(t, "-c", cfg)
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT las.cloud.com:443 HTTP/1.1\r\nHost: las.cloud.com:443\r\n\r\n")
	r, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third proxy connection: got %v, %v; want 503", r, err)
	}
	base, hc, _ := adminAPI(t, data)
	if code, body := adminDo(t, hc, "GET", base+"/healthz", ""); code != 200 {
		t.Errorf("/healthz with the proxy full: got %d %s, want 200", code, body)
	}
}

// closedWithin reports whether the server closes c within d, reading and
// discarding whatever it sends first.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	return err == nil // EOF, not the deadline
}

func TestServe_AdminListener_HeadAndIdleTimeouts(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "limits:\n  head_timeout: 500ms\n  idle_timeout: 1s\n")
	startServe(t, "-c", cfg)
	admin := adminAddrOf(t, data)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", admin)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	slow := dial() // slowloris: a head that never ends
	io.WriteString(slow, "GET /healthz HTTP/1.1\r\nHost: "+admin+"\r\n")
	if !closedWithin(slow, 5*time.Second) {
		t.Error("an unfinished request head kept the admin connection open past limits.head_timeout")
	}

	idle := dial() // keep-alive with nothing after one request
	io.WriteString(idle, "GET /healthz HTTP/1.1\r\nHost: "+admin+"\r\n\r\n")
	r, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("/healthz: got %v, %v", r, err)
	}
	if !closedWithin(idle, 5*time.Second) {
		t.Error("an idle keep-alive admin connection stayed open past limits.idle_timeout")
	}

	trickle := dial() // a body one byte at a time, for ever
	io.WriteString(trickle, "POST /api/reviews HTTP/1.1\r\nHost: "+admin+"\r\nContent-Length: 1000\r\n\r\n")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				if _, err := io.WriteString(trickle, "x"); err != nil {
					return
				}
			}
		}
	}()
	if !closedWithin(trickle, 8*time.Second) {
		t.Error("a trickled admin request body kept the connection open past limits.idle_timeout")
	}
}

func TestServe_LimitsKeyErrors_Exit2(t *testing.T) {
	v := newVendor(t)
	cfg, _ := writeConfig(t, v, "limits:\n  max_client_conns: 0\n")
	_, stderr, code := cli(t, "serve", "-c", cfg)
	if code != 2 || !strings.Contains(stderr, "limits.max_client_conns") {
		t.Errorf("got exit %d, %q; want 2 naming limits.max_client_conns", code, stderr)
	}
}
