package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
)

// countingUpstream is an upstream that counts the connections it accepts.
func countingUpstream(t *testing.T, http2 bool) (*upstream, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	up := newUpstreamConfig(t, http2, echo, func(s *http.Server) {
		s.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
	})
	return up, &conns
}

// lastDenied returns the newest capture, which must be a refusal.
func lastDenied(t *testing.T, tp *testProxy) store.Capture {
	t.Helper()
	caps, err := tp.Store.List(store.Query{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != 1 || caps[0].Kind != store.CaptureDenied {
		t.Fatalf("got captures %+v, want one refusal", caps)
	}
	return caps[0]
}

// waitConnsClosed waits until the proxy has finished with every
// intercepted connection (serveMITM returned), and fails after 5s.
func waitConnsClosed(t *testing.T, tp *testProxy) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		tp.mu.Lock()
		n := len(tp.conns)
		tp.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy still holds %d intercepted connections 5s after the client left", n)
		}
	}
}

// The issue 11 reproduction: a bodyless request with a control byte in its
// target, through the MITM loop, then the client leaves. Before, the HTTP/2
// upstream got hundreds of fresh connections a second, forever.
func TestProxy_ControlByteTarget_RefusedNotResent(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		for _, target := range []string{"/x\r", "/x\x01", "/x\x7f", "/x\x1b[0m", "/x\t", "/caf\xc3\xa9"} {
			t.Run(fmt.Sprintf("h2=%v/%q", h2, target), func(t *testing.T) {
				up, conns := countingUpstream(t, h2)
				tp := newTestProxy(t, up, nil)
				c := mitmConn(t, tp, "las.cloud.com")
				io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: las.cloud.com\r\n\r\n")
				r, err := http.ReadResponse(bufio.NewReader(c), nil)
				c.Close()
				if err != nil {
					t.Fatalf("no reply: %v", err)
				}
				if r.StatusCode != http.StatusBadRequest {
					t.Errorf("got %d, want 400", r.StatusCode)
				}
				// Once the proxy lets go of the connection, whatever it
				// was to send upstream has been sent.
				waitConnsClosed(t, tp)
				if n := conns.Load(); n != 0 {
					t.Errorf("upstream got %d connections, want 0", n)
				}
				d := lastDenied(t, tp)
				want := "https://las.cloud.com" + quoteTarget(target)
				if !strings.Contains(d.Error, "request target") || d.Method != "GET" || d.Host != "las.cloud.com" || d.URL != want {
					t.Errorf("refusal recorded as %+v, want URL %q", d, want)
				}
			})
		}
	}
}

func TestProxy_TargetGrammar(t *testing.T) {
	cases := []struct {
		method, target string
		ok             bool
	}{
		{"GET", "/", true},
		{"GET", "/a/b;c=d/%41?x=1&y=%2F&z=/?:@!$'()*+,;=-._~", true},
		{"GET", "//evil.example/x", true},
		{"GET", "/x?", true},
		{"OPTIONS", "*", true},
		{"GET", "*", false},
		{"GET", "/x#frag", false},
		{"GET", "/x%4", false},
		{"GET", "/x%zz", false},
		{"GET", "/x%", false},
		{"GET", `/x\y`, false},
		{"GET", "/x{}", false},
		{"GET", "/x|y", false},
		{"GET", `/"x"`, false},
		{"GET", "/x<y>", false},
		{"GET", "/^`", false},
		{"GET", "/x\x00", false},
		{"GET", "https://las.cloud.com/x", false},
		{"CONNECT", "las.cloud.com:443", false},
		{"GET", "x", false},
	}
	for _, tc := range cases {
		err := checkTarget(tc.method, tc.target)
		if (err == nil) != tc.ok {
			t.Errorf("%s %q: got error %v, want ok=%v", tc.method, tc.target, err, tc.ok)
		}
	}
}

func TestProxy_DoubleSlashTarget_SentAsRecorded(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("h2=%v", h2), func(t *testing.T) {
			up := newUpstream(t, h2, echo)
			tp := newTestProxy(t, up, nil)
			for _, target := range []string{"//evil.example/x", "//evil.example/x?q=%2F", "/a//b/%2e%2E/c?"} {
				c := mitmConn(t, tp, "las.cloud.com")
				io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: las.cloud.com\r\n\r\n")
				r, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					t.Fatalf("%s: no reply: %v", target, err)
				}
				r.Body.Close()
				if r.StatusCode != http.StatusOK {
					t.Errorf("%s: got %d, want 200", target, r.StatusCode)
				}
				got := up.got()
				if len(got) == 0 || got[len(got)-1].URI != target {
					t.Errorf("upstream got %+v, want target %q", got, target)
				}
				if c := tp.lastCapture(t); c.URL != "https://las.cloud.com"+target {
					t.Errorf("recorded %q, want %q", c.URL, "https://las.cloud.com"+target)
				}
			}
		})
	}
}

func TestProxy_UnforwardableHead_RefusedAndRecorded(t *testing.T) {
	cases := []struct{ name, send, why, url string }{
		{"two Host headers", "GET /x HTTP/1.1\r\nHost: las.cloud.com\r\nhost: evil.example\r\n\r\n",
			"more than one Host", "https://las.cloud.com/x"},
		{"absolute form inside TLS", "GET https://evil.example/x HTTP/1.1\r\nHost: las.cloud.com\r\n\r\n",
			"not in origin form", "https://evil.example/x"},
		{"CONNECT inside TLS", "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n",
			"not in origin form", "evil.example:443"},
		{"asterisk form without OPTIONS", "GET * HTTP/1.1\r\nHost: las.cloud.com\r\n\r\n",
			"only for OPTIONS", "*"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up, conns := countingUpstream(t, false)
			tp := newTestProxy(t, up, nil)
			c := mitmConn(t, tp, "las.cloud.com")
			io.WriteString(c, tc.send)
			r, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("no reply: %v", err)
			}
			if r.StatusCode != http.StatusBadRequest {
				t.Errorf("got %d, want 400", r.StatusCode)
			}
			if n := conns.Load(); n != 0 {
				t.Errorf("upstream got %d connections, want 0", n)
			}
			if d := lastDenied(t, tp); !strings.Contains(d.Error, tc.why) || d.URL != tc.url {
				t.Errorf("refusal recorded as %+v, want %q and URL %q", d, tc.why, tc.url)
			}
		})
	}
}

func TestProxy_PlainBadTarget_Refused(t *testing.T) {
	up, conns := countingUpstream(t, false)
	tp := newTestProxy(t, up, func(o *Options) { o.Resolve = resolveTo(up.Listener.Addr().String()) })
	got := rawExchange(t, tp.URL.Host, "GET http://las.cloud.com/x{y} HTTP/1.1\r\nHost: las.cloud.com\r\n\r\n")
	if got != http.StatusBadRequest {
		t.Errorf("got %d, want 400", got)
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("upstream got %d connections, want 0", n)
	}
	if d := lastDenied(t, tp); !strings.Contains(d.Error, "request target") {
		t.Errorf("refusal recorded as %+v", d)
	}
}
