package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
)

// localService is a plain HTTP server on 127.0.0.1 that counts the
// connections it accepted: a stand-in for the admin API or any service on
// the proxy's host.
type localService struct {
	*httptest.Server
	conns atomic.Int32
}

func newLocalService(t *testing.T) *localService {
	s := &localService{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "local secret")
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *localService) port() string { return s.URL[strings.LastIndexByte(s.URL, ':')+1:] }

// connectStatus sends a CONNECT for target through the proxy and returns
// the status and body of the answer.
func connectStatus(t *testing.T, tp *testProxy, target string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", tp.URL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	r, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatalf("CONNECT %s: %v", target, err)
	}
	if r.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	return r.StatusCode, ""
}

// plainStatus sends a plain-HTTP GET for u through the proxy.
func plainStatus(t *testing.T, tp *testProxy, u string) (int, string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(tp.URL)}, Timeout: 10 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, string(mustRead(resp.Body))
}

// fakeDNS resolves names from a table, others as the system does; a name with two entries gets the
// first on its first lookup and the second ever after (DNS rebinding).
type fakeDNS struct {
	mu    sync.Mutex
	names map[string][]string
	seen  map[string]int
}

func (f *fakeDNS) lookup(_ context.Context, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	answers, ok := f.names[host]
	if !ok {
		return net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	}
	i := min(f.seen[host], len(answers)-1)
	f.seen[host]++
	return []netip.Addr{netip.MustParseAddr(answers[i])}, nil
}

func newFakeDNS(names map[string][]string) *fakeDNS {
	return &fakeDNS{names: names, seen: map[string]int{}}
}

// ownAddress is a non-loopback address of one of this host's interfaces.
func ownAddress(t *testing.T) string {
	for a := range interfaceAddrs() {
		if !a.IsLoopback() && !a.IsLinkLocalUnicast() {
			return a.String()
		}
	}
	t.Skip("this host has no non-loopback address")
	return ""
}

func TestGuard_LocalTargets_RefusedAndRecorded(t *testing.T) {
	svc := newLocalService(t)
	dns := newFakeDNS(map[string][]string{"intranet.example": {"127.0.0.1"}, "metadata.example": {"169.254.169.254"}})
	tp := newTestProxy(t, nil, func(o *Options) { o.lookupIP = dns.lookup })
	port := svc.port()
	connects := []string{
		"127.0.0.1:" + port, "localhost:" + port, "[::ffff:127.0.0.1]:" + port, "0.0.0.0:" + port,
		"[::1]:" + port, "[::]:" + port, "127.1.2.3:" + port, "169.254.169.254:80", "[fe80::1]:80",
		"intranet.example:" + port, "metadata.example:80", net.JoinHostPort(ownAddress(t), port),
	}
	for _, target := range connects {
		code, body := connectStatus(t, tp, target)
		if code != http.StatusForbidden || !strings.Contains(body, "refused") || !strings.Contains(body, "upstream.allow_local") {
			t.Errorf("CONNECT %s: got %d %q, want 403 saying why", target, code, body)
		}
	}
	plains := []string{"http://127.0.0.1:" + port + "/", "http://[::1]:" + port + "/", "http://intranet.example:" + port + "/", "http://169.254.169.254/latest/meta-data/"}
	for _, u := range plains {
		if code, body := plainStatus(t, tp, u); code != http.StatusForbidden || !strings.Contains(body, "refused") {
			t.Errorf("GET %s: got %d %q, want 403 saying why", u, code, body)
		}
	}
	if n := svc.conns.Load(); n != 0 {
		t.Errorf("the local service accepted %d connections through the proxy, want 0", n)
	}
	caps, err := tp.Store.List(store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != len(connects)+len(plains) {
		t.Fatalf("got %d captures, want one denied record per refusal (%d)", len(caps), len(connects)+len(plains))
	}
	for _, c := range caps {
		if c.Kind != store.CaptureDenied || !strings.Contains(c.Error, "on the proxy's own host") {
			t.Errorf("capture %s %s: got kind %s error %q, want denied with the reason", c.ID, c.URL, c.Kind, c.Error)
		}
	}
}

func TestGuard_AllowLocal_NamedExceptionsOnly(t *testing.T) {
	svc, other := newLocalService(t), newLocalService(t)
	admin := newLocalService(t) // this process's admin API: never reachable
	dns := newFakeDNS(map[string][]string{"dev.example": {"127.0.0.1"}, "alias.example": {"127.0.0.1"}})
	tp := newTestProxy(t, nil, func(o *Options) {
		o.lookupIP = dns.lookup
		o.AllowLocal = []string{"127.0.0.1:" + svc.port(), "DEV.example.:" + other.port(), "127.0.0.1:" + admin.port()}
	})
	tp.Protect(admin.Listener.Addr())
	if code, body := plainStatus(t, tp, "http://127.0.0.1:"+svc.port()+"/"); code != 200 || body != "local secret" {
		t.Errorf("named ip:port: got %d %q, want it passed through", code, body)
	}
	if code, _ := connectStatus(t, tp, "alias.example:"+svc.port()); code != 200 {
		t.Errorf("a name resolving to the named ip:port: got %d, want 200", code)
	}
	if code, _ := connectStatus(t, tp, "dev.example:"+other.port()); code != 200 {
		t.Errorf("named host:port: got %d, want 200", code)
	}
	if code, _ := connectStatus(t, tp, "127.0.0.1:"+other.port()); code != http.StatusForbidden {
		t.Errorf("an address only reached under an excepted name: got %d, want 403", code)
	}
	for _, target := range []string{"127.0.0.1:" + admin.port(), tp.URL.Host} {
		code, body := connectStatus(t, tp, target)
		if code != http.StatusForbidden || !strings.Contains(body, "own host and port") {
			t.Errorf("CONNECT %s, this process's own port: got %d %q, want 403 even with an exception", target, code, body)
		}
	}
	if n := admin.conns.Load(); n != 0 {
		t.Errorf("the admin stand-in accepted %d connections, want 0", n)
	}
}

// TestGuard_DNSRebinding_DialChecksWhatItDials: the name resolves to a
// public address when the request is dispatched and to loopback when the
// proxy dials; the dial checks its own lookup and refuses.
func TestGuard_DNSRebinding_DialChecksWhatItDials(t *testing.T) {
	svc := newLocalService(t)
	dns := newFakeDNS(map[string][]string{
		"rebind-tunnel.example": {"192.0.2.10", "127.0.0.1"},
		"rebind-plain.example":  {"192.0.2.11", "127.0.0.1"},
		"las.cloud.com":         {"192.0.2.12", "127.0.0.1"},
	})
	tp := newTestProxy(t, nil, func(o *Options) { o.lookupIP = dns.lookup })
	port := svc.port()
	if code, body := connectStatus(t, tp, "rebind-tunnel.example:"+port); code != http.StatusForbidden || !strings.Contains(body, "resolves to 127.0.0.1") {
		t.Errorf("tunnel: got %d %q, want 403 naming the loopback address", code, body)
	}
	if code, body := plainStatus(t, tp, "http://rebind-plain.example:"+port+"/"); code != http.StatusForbidden || !strings.Contains(body, "resolves to 127.0.0.1") {
		t.Errorf("pass-through: got %d %q, want 403 naming the loopback address", code, body)
	}
	resp, err := tp.client().Get("https://las.cloud.com:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	body := string(mustRead(resp.Body))
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "resolves to 127.0.0.1") {
		t.Errorf("intercepted upstream: got %d %q, want 502 naming the loopback address", resp.StatusCode, body)
	}
	if n := svc.conns.Load(); n != 0 {
		t.Errorf("the local service accepted %d connections, want 0", n)
	}
	caps, _ := tp.Store.List(store.Query{})
	denied := 0
	for _, c := range caps {
		if c.Kind == store.CaptureDenied {
			denied++
		}
	}
	if denied != 2 {
		t.Errorf("got %d denied records, want 2 (tunnel and pass-through): %+v", denied, caps)
	}
}

func TestGuard_LocalKind(t *testing.T) {
	for in, want := range map[string]bool{
		"127.0.0.1": true, "0.0.0.0": true, "0.1.2.3": true, "::": true, "::1": true, "::ffff:127.0.0.1": true,
		"::127.0.0.1": true, "169.254.169.254": true, "fe80::1": true, "::ffff:169.254.1.1": true,
		"192.0.2.1": false, "10.0.0.1": false, "2001:db8::1": false, "::ffff:8.8.8.8": false,
	} {
		if got := localKind(netip.MustParseAddr(in)) != ""; got != want {
			t.Errorf("localKind(%s) local: got %v, want %v", in, got, want)
		}
	}
}

// TestGuard_DialVetted_FallsBackPastAHangingAddress: an address that
// never answers (an IPv6 path that drops packets) does not hold the dial:
// the next one is tried as well, wins, and the hanging dial is cancelled.
func TestGuard_DialVetted_FallsBackPastAHangingAddress(t *testing.T) {
	cancelled := make(chan struct{})
	served, _ := net.Pipe()
	defer served.Close()
	c, err := dialVetted(context.Background(), []string{"[2001:db8::1]:443", "192.0.2.1:443"}, func(ctx context.Context, a string) (net.Conn, error) {
		if strings.HasPrefix(a, "[") {
			<-ctx.Done()
			close(cancelled)
			return nil, ctx.Err()
		}
		return served, nil
	})
	if err != nil || c != served {
		t.Fatalf("got %v %v, want the second address's connection", c, err)
	}
	<-cancelled // the hanging dial was cancelled (the test would hang otherwise)

	_, err = dialVetted(context.Background(), []string{"a:1", "b:1"}, func(_ context.Context, a string) (net.Conn, error) {
		return nil, fmt.Errorf("%s refused", a)
	})
	if err == nil || !strings.Contains(err.Error(), "a:1 refused") || !strings.Contains(err.Error(), "b:1 refused") {
		t.Errorf("all failing: got %v, want every address's error", err)
	}
}
