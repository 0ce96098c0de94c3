package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/testtool"
	"github.com/telltale/telltale/store"
)

// waitLong gives the real lookup all the time it needs: these tests check
// who is named, not how fast (TestProxy_SentBy_SlowLookupHoldsNoExchange).
func waitLong(o *Options) { o.SenderWait = 10 * time.Second }

// A curl and a Python client sending through the real proxy are each
// named in their capture by the PID the test started and their program.
func TestProxy_SentBy_CurlAndPython(t *testing.T) {
	curl := testtool.Need(t, "curl")[0]
	py := testtool.Need(t, "python3")[0]
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, waitLong)
	ca := tp.caFile(t)
	for _, tc := range []struct {
		name string
		cmd  *exec.Cmd
	}{
		{"curl", exec.Command(curl, "-sS", "--fail-with-body", "--proxy", tp.URL.String(), "--cacert", ca,
			"--data-binary", "from curl", "https://cis.citrix.com/api/upload")},
		{"python3", exec.Command(py, "-c", `import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
op = urllib.request.build_opener(urllib.request.ProxyHandler({"https": sys.argv[1]}), urllib.request.HTTPSHandler(context=ctx))
sys.stdout.write(op.open("https://las.cloud.com/upload", data=b"from python").read().decode())`, tp.URL.String(), ca)},
	} {
		var out strings.Builder
		tc.cmd.Stdout, tc.cmd.Stderr = &out, &out
		if err := tc.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pid := tc.cmd.Process.Pid
		if err := tc.cmd.Wait(); err != nil || !strings.HasPrefix(out.String(), "echo:from ") {
			t.Fatalf("%s: %v: %s", tc.name, err, out.String())
		}
		c := tp.lastCapture(t)
		p := c.Process
		if p == nil || p.PID != pid || !strings.HasPrefix(p.Name, tc.name) || filepath.Base(p.Image) != p.Name || p.User == "" {
			t.Errorf("%s (pid %d): capture %s says sent by %+v, want that pid and program", tc.name, pid, c.ID, p)
		}
	}
}

// Tunnels and refusals carry the process too: a CONNECT passed through
// and one denied, from this test's own Go client.
func TestProxy_SentBy_TunnelAndDenied(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, waitLong)
	for _, host := range []string{"other.example:443", "a@b:443"} {
		c, err := net.Dial("tcp", tp.URL.Host)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", host, host)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		c.Close()
	}
	caps := waitCaptures(t, tp.Store, 2)
	if len(caps) != 2 || caps[0].Kind == caps[1].Kind {
		t.Fatalf("captures: got %+v, want a tunnel and a denied", caps)
	}
	for _, c := range caps {
		if c.Process == nil || c.Process.PID != os.Getpid() {
			t.Errorf("%s capture %s to %s: sent by %+v, want this process (%d)", c.Kind, c.ID, c.Host, c.Process, os.Getpid())
		}
	}
}

// A client on another host gets no process: the proxy does not look it up.
// (Every address a test can connect from is this host's, so the rule
// itself, owner.OnThisHost, is tested in package owner; here the proxy
// is told the client is remote.)
func TestProxy_SentBy_RemoteClientGetsNone(t *testing.T) {
	up := newUpstream(t, false, echo)
	var lookups atomic.Int32
	tp := newTestProxy(t, up, func(o *Options) {
		o.onThisHost = func(client, local netip.Addr) bool { return false }
		o.lookupOwner = func(context.Context, netip.AddrPort, netip.AddrPort) store.Process {
			lookups.Add(1)
			return store.Process{Name: "should not be asked"}
		}
	})
	if _, err := tp.client().Post("https://las.cloud.com/upload", "text/plain", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if c := tp.lastCapture(t); c.Process != nil || lookups.Load() != 0 {
		t.Errorf("remote client: capture says sent by %+v after %d lookups, want none and none", c.Process, lookups.Load())
	}
}

// A lookup slower than SenderWait does not hold the exchange: the first
// request goes on with the process unknown and why; the lookup, made once
// per connection, names the process for the next request on it.
func TestProxy_SentBy_SlowLookupHoldsNoExchange(t *testing.T) {
	up := newUpstream(t, false, echo)
	var lookups atomic.Int32
	tp := newTestProxy(t, up, func(o *Options) {
		o.SenderWait = 50 * time.Millisecond
		o.lookupOwner = func(ctx context.Context, _, _ netip.AddrPort) store.Process {
			lookups.Add(1)
			select {
			case <-time.After(300 * time.Millisecond):
				return store.Process{PID: 4242, Name: "slow.exe"}
			case <-ctx.Done(): // the lookup must outlive the first record's wait
				return store.Process{Unknown: "cut at the first record's wait"}
			}
		}
	})
	// The CONNECT and the TLS handshake take a few milliseconds of the
	// 300ms lookup; the request then waits out the rest of the 50ms.
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(tp.URL), TLSClientConfig: &tls.Config{RootCAs: tp.pool()}}}
	start := time.Now()
	resp, err := client.Post("https://las.cloud.com/a", "text/plain", strings.NewReader("a"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	first := tp.lastCapture(t)
	if took > 250*time.Millisecond {
		t.Errorf("first exchange took %v: it waited for the 300ms lookup, want at most the 50ms wait and the exchange", took)
	}
	if first.Process == nil || first.Process.PID != 0 || !strings.Contains(first.Process.Unknown, "not waited for") {
		t.Errorf("first capture: sent by %+v, want unknown, not waited for", first.Process)
	}
	time.Sleep(400 * time.Millisecond)
	resp, err = client.Post("https://las.cloud.com/b", "text/plain", strings.NewReader("b"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	second := tp.lastCapture(t)
	if second.ID == first.ID || second.Process == nil || second.Process.PID != 4242 {
		t.Errorf("second capture on the same connection: sent by %+v, want the lookup's pid 4242", second.Process)
	}
	if n := lookups.Load(); n != 1 {
		t.Errorf("lookups: got %d, want 1 for the one connection", n)
	}
}

// waitCaptures waits until the store lists n complete captures.
func waitCaptures(t *testing.T, st *store.Store, n int) []store.Capture {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		caps, err := st.List(store.Query{})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, c := range caps {
			if c.Complete {
				done++
			}
		}
		if done >= n {
			return caps
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d complete captures after 5s, want %d: %+v", done, n, caps)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// At most maxSenderLookups lookups run at once: a burst of local
// connections past it records "not looked up" instead of queueing scans,
// and no exchange waits longer than SenderWait for any of them.
func TestProxy_SentBy_BoundedLookupsAtOnce(t *testing.T) {
	up := newUpstream(t, false, echo)
	var lookups atomic.Int32
	tp := newTestProxy(t, up, func(o *Options) {
		o.SenderWait = 300 * time.Millisecond
		o.lookupOwner = func(context.Context, netip.AddrPort, netip.AddrPort) store.Process {
			lookups.Add(1)
			time.Sleep(2 * time.Second)
			return store.Process{PID: 1, Name: "late"}
		}
	})
	const conns = maxSenderLookups + 2
	errs := make(chan error, conns)
	for range conns {
		go func() {
			c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(tp.URL), TLSClientConfig: &tls.Config{RootCAs: tp.pool()},
				DisableKeepAlives: true}}
			resp, err := c.Post("https://las.cloud.com/burst", "text/plain", strings.NewReader("x"))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			errs <- err
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	caps := waitCaptures(t, tp.Store, conns)
	var busy, unfinished int
	for _, c := range caps {
		switch {
		case c.Process != nil && strings.Contains(c.Process.Unknown, "other lookups were running"):
			busy++
		case c.Process != nil && strings.Contains(c.Process.Unknown, "not waited for"):
			unfinished++
		default:
			t.Errorf("capture %s: sent by %+v, want unknown", c.ID, c.Process)
		}
	}
	if busy != 2 || unfinished != maxSenderLookups || lookups.Load() != maxSenderLookups {
		t.Errorf("%d connections: %d not looked up, %d unfinished, %d lookups; want 2, %d, %d",
			conns, busy, unfinished, lookups.Load(), maxSenderLookups, maxSenderLookups)
	}
}

// A client connecting from another of this host's addresses (not
// loopback) is on this host too: it is looked up and named. Outside
// clients.allow it is refused, and the denied capture names it.
func TestProxy_SentBy_OwnNonLoopbackAddress(t *testing.T) {
	var local net.IP
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
			local = ipn.IP
			break
		}
	}
	if local == nil {
		t.Skip("this host has no non-loopback IPv4 address")
	}
	tp := newTestProxy(t, nil, waitLong)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: local}}
	c, err := d.Dial("tcp4", tp.URL.Host)
	if err != nil {
		t.Skipf("dial the proxy on loopback from %s: %v", local, err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET http://las.cloud.com/ HTTP/1.1\r\nHost: las.cloud.com\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("client from %s: got %d, want 403 (not in clients.allow)", local, resp.StatusCode)
	}
	caps := waitCaptures(t, tp.Store, 1)
	if p := caps[0].Process; caps[0].Kind != store.CaptureDenied || p == nil || p.PID != os.Getpid() {
		t.Errorf("denied capture from %s: %s sent by %+v, want this process (%d)", local, caps[0].Kind, p, os.Getpid())
	}
}
