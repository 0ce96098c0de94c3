package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/testpki"
)

// runServer starts a Server on port 0 until the test ends.
func runServer(t *testing.T) *Server {
	t.Helper()
	vendorCA := testpki.NewCA(t, "vendor CA")
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	up.TLS = &tls.Config{Certificates: []tls.Certificate{vendorCA.Server(t, "las.cloud.com")}}
	up.StartTLS()
	t.Cleanup(up.Close)
	s, err := New(testConfig(t, up, vendorCA), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		s.Close()
	})
	return s
}

// partialHeads opens n connections to addr that each send part of a
// request head and wait.
func partialHeads(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1")
		conns[i] = c
	}
	return conns
}

// TestServer_MaxClientConns_FitsTheFileLimit: under an open file limit
// too low for limits.max_client_conns (1024), serve lowers it to fit:
// with 80 files, the 9th client connection is answered 503 at once.
func TestServer_MaxClientConns_FitsTheFileLimit(t *testing.T) {
	openFileLimit = func() (uint64, bool) { return 80, true } // (80 - fdReserve) / 2 = 8
	t.Cleanup(func() { openFileLimit = fdLimit })
	s := runServer(t)
	partialHeads(t, s.ProxyAddr(), 8)
	c, err := net.Dial("tcp", s.ProxyAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(line, "HTTP/1.1 503") {
		t.Errorf("the 9th connection: got %q %v, want 503 at once", line, err)
	}
}

// TestServer_AdminListener_PartialHeadsDoNotBlockHealthz: more partial
// heads than the admin listener's cap make it close the oldest ones; a
// /healthz that comes after them is answered.
func TestServer_AdminListener_PartialHeadsDoNotBlockHealthz(t *testing.T) {
	s := runServer(t)
	conns := partialHeads(t, s.AdminAddr(), adminMaxConns+10)
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get("http://" + s.AdminAddr() + "/healthz")
	if err != nil {
		t.Fatalf("/healthz behind %d partial heads: %v", len(conns), err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: got %d, want 200", resp.StatusCode)
	}
	deadline := time.Now().Add(2 * time.Second)
	closed := 0
	for _, c := range conns {
		c.SetReadDeadline(deadline)
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			closed++
		}
	}
	if closed < 11 {
		t.Errorf("partial heads closed by the server: got %d, want at least 11 (the cap is %d)", closed, adminMaxConns)
	}
}

// TestServer_AdminHost_RebindingRefused: the admin API answers requests
// for its own names only; another name (a page that re-pointed its own
// name at 127.0.0.1) or another port gets 421.
func TestServer_AdminHost_RebindingRefused(t *testing.T) {
	s := runServer(t)
	_, port, _ := net.SplitHostPort(s.AdminAddr())
	for host, want := range map[string]int{
		"127.0.0.1:" + port:    200,
		"localhost:" + port:    200,
		"LOCALHOST.:" + port:   200,
		"[::1]:" + port:        200,
		"127.0.0.2:" + port:    200,
		"evil.example:" + port: 421,
		"evil.example":         421,
		"127.0.0.1:1":          421,
		"localhost":            421, // port 80 implied
	} {
		req, _ := http.NewRequest("GET", "http://"+s.AdminAddr()+"/healthz", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: got %d, want %d", host, resp.StatusCode, want)
		}
	}
}
