package proxy

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/internal/testpki"
	"github.com/telltale/telltale/internal/wine"
	"github.com/telltale/telltale/store"
)

// interceptHosts is what the test proxy intercepts.
var interceptHosts = []string{"las.cloud.com", "cis.citrix.com", "*.citrixworkspacesapi.net"}

// upstream is a vendor server stand-in that records what it received.
type upstream struct {
	*httptest.Server
	CA *testpki.CA

	mu       sync.Mutex
	received []received
}

type received struct {
	Method string
	URI    string
	Proto  string
	Host   string
	Header http.Header
	Body   []byte
}

// newUpstream starts a TLS server for the intercepted names; handler
// answers after the request has been recorded.
func newUpstream(t testing.TB, http2 bool, handler http.HandlerFunc) *upstream {
	t.Helper()
	return newUpstreamConfig(t, http2, handler, nil)
}

// newUpstreamConfig is newUpstream with a hook that edits the server before
// it starts.
func newUpstreamConfig(t testing.TB, http2 bool, handler http.HandlerFunc, edit func(*http.Server)) *upstream {
	t.Helper()
	u := &upstream{CA: testpki.NewCA(t, "Vendor test CA")}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.received = append(u.received, received{r.Method, r.RequestURI, r.Proto, r.Host, r.Header.Clone(), body})
		u.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler(w, r)
	}))
	srv.EnableHTTP2 = http2
	if edit != nil {
		edit(srv.Config)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{u.CA.Server(t, "las.cloud.com", "cis.citrix.com", "*.citrixworkspacesapi.net")}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	u.Server = srv
	return u
}

func (u *upstream) got() []received {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]received(nil), u.received...)
}

// resolveTo maps every intercepted test host on port 443 to addr.
func resolveTo(addr string) map[string]string {
	return map[string]string{
		"las.cloud.com:443":                    addr,
		"cis.citrix.com:443":                   addr,
		"trust.citrixworkspacesapi.net:443":    addr,
		"las.cloud.com:80":                     addr,
		"other.example:443":                    addr,
		"core.citrixworkspacesapi.net:443":     addr,
		"licensing.citrixworkspacesapi.net:80": addr,
	}
}

// testProxy is a Proxy on port 0 with a real store and CA in a temp dir.
type testProxy struct {
	*Proxy
	Store *store.Store
	CA    *certs.Authority
	URL   *url.URL
	Dir   string
}

func newTestProxy(t testing.TB, up *upstream, edit func(*Options)) *testProxy {
	t.Helper()
	dir := wine.TempDir(t)
	ca, _, err := certs.Open(filepath.Join(dir, "ca"), certs.Options{Hosts: interceptHosts})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Recorder:    st,
		Minter:      ca,
		Intercept:   interceptHosts,
		Allow:       []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		IdleTimeout: 5 * time.Second,
		HeadTimeout: 2 * time.Second,
	}
	if up != nil {
		opts.RootCAs = up.CA.Pool()
		opts.Resolve = resolveTo(up.Listener.Addr().String())
	}
	if edit != nil {
		edit(&opts)
	}
	// The test upstreams listen on 127.0.0.1: name them as exceptions to
	// the local guard, as a deployment would (upstream.allow_local).
	for _, to := range opts.Resolve {
		opts.AllowLocal = append(opts.AllowLocal, to)
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go p.Serve(ln)
	tp := &testProxy{Proxy: p, Store: st, CA: ca, Dir: dir, URL: &url.URL{Scheme: "http", Host: ln.Addr().String()}}
	t.Cleanup(func() {
		ctx, cancel := contextWithTimeout(5 * time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return tp
}

// client is a Go HTTP client that uses the proxy and trusts its CA.
func (tp *testProxy) client() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:              http.ProxyURL(tp.URL),
		TLSClientConfig:    &tls.Config{RootCAs: tp.pool()},
		DisableCompression: true,
	}, Timeout: 30 * time.Second}
}

func (tp *testProxy) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(tp.CA.Certificate())
	return p
}

// caFile writes the proxy's CA certificate for curl.
func (tp *testProxy) caFile(t *testing.T) string {
	path := filepath.Join(wine.TempDir(t), "ca.pem")
	if err := os.WriteFile(path, tp.CA.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lastCapture waits until the newest capture is complete and returns it.
func (tp *testProxy) lastCapture(t *testing.T) *store.Capture {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		caps, err := tp.Store.List(store.Query{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(caps) == 1 && caps[0].Complete {
			c, err := tp.Store.Capture(caps[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("no complete capture after 5s (got %+v)", caps)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// storedBody returns the stored bytes of a message, as `show --body` does.
func (tp *testProxy) storedBody(t *testing.T, m *store.Message) []byte {
	t.Helper()
	if m.BodySize == 0 {
		return nil
	}
	key := m.BodySHA256
	if m.Truncated {
		key = m.StoredSHA256
	}
	rc, _, err := tp.Store.OpenBody(key)
	if err != nil {
		t.Fatalf("open body %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
