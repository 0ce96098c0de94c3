package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/testtool"
	"github.com/telltale/telltale/store"
)

// events collects what the proxy reports through Options.Observe.
type events struct {
	mu  sync.Mutex
	got []Event
}

func (e *events) observe(ev Event) {
	e.mu.Lock()
	e.got = append(e.got, ev)
	e.mu.Unlock()
}

func (e *events) all() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.got...)
}

// pinnedClient goes through the proxy and trusts roots only: a client
// with a trust store of its own, or one that pins the vendor's CA.
func pinnedClient(tp *testProxy, roots *x509.CertPool) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:             http.ProxyURL(tp.URL),
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		DisableKeepAlives: true,
	}, Timeout: 10 * time.Second}
}

// refusedCaptures lists the denied captures of refused handshakes.
func refusedCaptures(t *testing.T, st *store.Store) []store.Capture {
	t.Helper()
	caps, err := st.List(store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Capture
	for _, c := range caps {
		if c.RefusedTLS() {
			out = append(out, c)
		}
	}
	return out
}

// waitRefused waits until n refused handshakes are recorded.
func waitRefused(t *testing.T, st *store.Store, n int) []store.Capture {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := refusedCaptures(t, st)
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) != n {
				t.Fatalf("refused handshakes recorded: got %d, want %d", len(got), n)
			}
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitTunnel waits for the first tunnel capture.
func waitTunnel(t *testing.T, st *store.Store) store.Capture {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		caps, err := st.List(store.Query{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range caps {
			if c.Kind == store.CaptureTunnel {
				return c
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no tunnel capture after 5s")
	return store.Capture{}
}

// TestProxy_ClientRefusesCA_RecordedWithItsAlert: a Go client with
// another root pool and curl without --cacert abort the handshake with
// Telltale's certificate; each refusal is a denied capture naming the
// client's TLS alert, the host and the client, and an event with
// RefusedTLS. Nothing reaches the upstream.
func TestProxy_ClientRefusesCA_RecordedWithItsAlert(t *testing.T) {
	up := newUpstream(t, false, echo)
	var ev events
	tp := newTestProxy(t, up, func(o *Options) { o.Observe = ev.observe })

	_, err := pinnedClient(tp, up.CA.Pool()).Get("https://las.cloud.com/activate")
	if err == nil {
		t.Fatal("a client that does not trust Telltale's CA got through")
	}
	got := waitRefused(t, tp.Store, 1)
	c := got[0]
	if c.Host != "las.cloud.com" || !strings.HasPrefix(c.Client, "127.0.0.1:") || c.Method != http.MethodConnect ||
		c.URL != "las.cloud.com:443" || !strings.Contains(c.Error, "TLS alert bad certificate") {
		t.Errorf("capture: got %+v, want las.cloud.com:443 from 127.0.0.1 refused with bad certificate", c)
	}

	curl := testtool.Need(t, "curl")[0]
	out, err := exec.Command(curl, "-sS", "--max-time", "10", "--proxy", tp.URL.String(), "https://cis.citrix.com/upload").CombinedOutput()
	if err == nil {
		t.Fatalf("curl without --cacert got through: %s", out)
	}
	got = waitRefused(t, tp.Store, 2)
	if c := got[1]; c.Host != "cis.citrix.com" || !strings.Contains(c.Error, "TLS alert unknown certificate authority") {
		t.Errorf("curl's refusal: got %+v, want cis.citrix.com with unknown certificate authority", c)
	}
	var refused int
	for _, e := range ev.all() {
		if e.RefusedTLS {
			refused++
			if e.Kind != store.CaptureDenied || e.ID == 0 || e.PassThrough || !strings.HasPrefix(e.Client, "127.0.0.1:") {
				t.Errorf("event: got %+v", e)
			}
		}
	}
	if refused != 2 {
		t.Errorf("RefusedTLS events: got %d, want 2", refused)
	}
	if n := len(up.got()); n != 0 {
		t.Errorf("upstream got %d requests, want 0", n)
	}
	if refs := tp.Refusals(); len(refs) != 2 || refs[0].Host != "cis.citrix.com:443" || refs[0].Count != 1 {
		t.Errorf("Refusals: got %+v", refs)
	}
}

// TestProxy_ClientRefusal_Tunnel: with RefusalPolicy.Tunnel, a client
// that pins the vendor's CA is refused Limit times, then passed through
// to the real upstream (recorded as a tunnel with the reason, reported
// as PassThrough); a reset, or the end of the period, intercepts again.
// Another client that trusts Telltale's CA is still intercepted.
func TestProxy_ClientRefusal_Tunnel(t *testing.T) {
	up := newUpstream(t, false, echo)
	var ev events
	var skew atomic.Int64
	tp := newTestProxy(t, up, func(o *Options) {
		o.Observe = ev.observe
		o.ClientRefusal = RefusalPolicy{Tunnel: true, Limit: 2, For: time.Hour}
		o.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	pinned := pinnedClient(tp, up.CA.Pool())
	get := func() (int, error) {
		resp, err := pinned.Get("https://las.cloud.com/activate")
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	for i := range 2 {
		if _, err := get(); err == nil {
			t.Fatalf("request %d: got through before %d refusals", i+1, 2)
		}
	}
	waitRefused(t, tp.Store, 2)
	if code, err := get(); err != nil || code != http.StatusOK {
		t.Fatalf("after 2 refusals: got %d %v, want the upstream's 200 through a tunnel", code, err)
	}
	c := waitTunnel(t, tp.Store)
	if !strings.HasPrefix(c.Error, store.PassedThrough) || c.ResponseBytes == 0 {
		t.Errorf("pass-through capture: got %+v, want a tunnel with the reason", c)
	}
	if pts := tp.PassThroughs(); len(pts) != 1 || pts[0].Host != "las.cloud.com:443" || pts[0].Client != "127.0.0.1" || pts[0].Refusals != 2 {
		t.Errorf("PassThroughs: got %+v", pts)
	}
	var pass, upFailed int
	for _, e := range ev.all() {
		if e.PassThrough {
			pass++
		}
		if e.UpstreamFailed {
			upFailed++
		}
	}
	if pass != 2 || upFailed != 0 { // the refusal that started it, the tunnel
		t.Errorf("events: got %d PassThrough and %d UpstreamFailed, want 2 and 0", pass, upFailed)
	}
	// Another client, which trusts the CA, is intercepted as before.
	other := tp.client()
	other.Transport.(*http.Transport).DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext
	resp, err := other.Get("https://las.cloud.com/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := up.got(); len(got) != 2 || got[1].URI != "/other" {
		t.Errorf("upstream: got %d requests, want the tunnelled one and the intercepted /other", len(got))
	}

	if n := tp.ResetPassThroughs(); n != 1 {
		t.Errorf("ResetPassThroughs: got %d, want 1", n)
	}
	if _, err := get(); err == nil {
		t.Fatal("after a reset: got through, want intercepted and refused")
	}
	waitRefused(t, tp.Store, 3)
	get() // the second refusal in a row passes it through again
	waitRefused(t, tp.Store, 4)
	if code, err := get(); err != nil || code != http.StatusOK {
		t.Fatalf("after 2 more refusals: got %d %v", code, err)
	}
	// At the end of the period Telltale intercepts once more; one refusal
	// passes the host through again.
	skew.Store(int64(2 * time.Hour))
	if _, err := get(); err == nil {
		t.Fatal("after the period: got through, want intercepted and refused")
	}
	waitRefused(t, tp.Store, 5)
	if code, err := get(); err != nil || code != http.StatusOK {
		t.Fatalf("after the period and one refusal: got %d %v, want passed through", code, err)
	}
}
