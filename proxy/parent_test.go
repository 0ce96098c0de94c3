package proxy

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/testpki"
)

// parentProxy is a CONNECT-only parent proxy, optionally behind TLS and
// basic authentication, that sends every tunnel to one address.
type parentProxy struct {
	URL  *url.URL
	CA   *testpki.CA // set when it speaks TLS
	auth string      // required Proxy-Authorization; "" for none

	mu       sync.Mutex
	connects []string // CONNECT targets
	auths    []string // Proxy-Authorization values seen
}

func newParentProxy(t *testing.T, to string, useTLS bool, auth string) *parentProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pp := &parentProxy{URL: &url.URL{Scheme: "http", Host: ln.Addr().String()}, auth: auth}
	if useTLS {
		pp.CA = testpki.NewCA(t, "parent proxy CA")
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{pp.CA.Server(t, "127.0.0.1")}})
		pp.URL.Scheme = "https"
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go pp.serve(c, to)
		}
	}()
	return pp
}

func (pp *parentProxy) serve(c net.Conn, to string) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	pp.mu.Lock()
	pp.connects = append(pp.connects, req.Host)
	pp.auths = append(pp.auths, req.Header.Get("Proxy-Authorization"))
	pp.mu.Unlock()
	if req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if pp.auth != "" && req.Header.Get("Proxy-Authorization") != pp.auth {
		io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n")
		return
	}
	up, err := net.Dial("tcp", to)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() { io.Copy(up, br); up.Close() }()
	io.Copy(c, up)
}

func (pp *parentProxy) seen() (connects, auths []string) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return append([]string(nil), pp.connects...), append([]string(nil), pp.auths...)
}

func TestProxy_Parent_TLSAndBasicAuth(t *testing.T) {
	up := newUpstream(t, false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	pp := newParentProxy(t, up.Listener.Addr().String(), true, "Basic dXNlcjpwYXNz") // user:pass
	parent := *pp.URL
	parent.User = url.UserPassword("user", "pass")
	tp := newTestProxy(t, up, func(o *Options) {
		o.ParentProxy = &parent
		o.RootCAs.AppendCertsFromPEM(pp.CA.PEM()) // the parent's certificate is checked like an upstream's
	})
	c := tp.client()

	resp, err := c.Get("https://las.cloud.com/intercepted")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("intercepted through the parent: got %s, want 200", resp.Status)
	}
	// A tunnel (not intercepted) goes through the parent too; the vendor
	// test server answers it directly over TLS.
	tunnel := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(tp.URL),
		TLSClientConfig: &tls.Config{RootCAs: up.CA.Pool(), ServerName: "las.cloud.com"}}, Timeout: 10 * time.Second}
	resp, err = tunnel.Get("https://other.example/tunnelled")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	connects, auths := pp.seen()
	if len(connects) != 2 || connects[0] != "las.cloud.com:443" {
		t.Errorf("parent saw CONNECT %v, want las.cloud.com:443 then the tunnel", connects)
	}
	for _, a := range auths {
		if a != "Basic dXNlcjpwYXNz" {
			t.Errorf("Proxy-Authorization: got %q, want basic user:pass", a)
		}
	}
}

func TestProxy_Parent_WrongPasswordIs502(t *testing.T) {
	up := newUpstream(t, false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	pp := newParentProxy(t, up.Listener.Addr().String(), false, "Basic dXNlcjpwYXNz")
	parent := *pp.URL
	parent.User = url.UserPassword("user", "wrong")
	tp := newTestProxy(t, up, func(o *Options) { o.ParentProxy = &parent })
	resp, err := tp.client().Get("https://las.cloud.com/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "Proxy Authentication Required") {
		t.Errorf("got %s %q, want 502 naming the parent's 407", resp.Status, body)
	}

	d := &Dialer{Parent: &parent, Resolve: resolveTo(up.Listener.Addr().String())}
	if _, err := d.DialContext(t.Context(), "las.cloud.com:443"); err == nil || !strings.Contains(err.Error(), "upstream.proxy_auth_env") {
		t.Errorf("Dialer: got %v, want a 407 that points at the credentials", err)
	}
}

func TestProxy_Parent_NoProxyGoesDirect(t *testing.T) {
	up := newUpstream(t, false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	pp := newParentProxy(t, up.Listener.Addr().String(), false, "")
	tp := newTestProxy(t, up, func(o *Options) {
		o.ParentProxy = pp.URL
		o.NoProxy = []string{".cloud.com"}
	})
	resp, err := tp.client().Get("https://las.cloud.com/direct")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("got %s, want 200", resp.Status)
	}
	if connects, _ := pp.seen(); len(connects) != 0 {
		t.Errorf("parent saw %v; no_proxy should have sent las.cloud.com direct", connects)
	}
}

func TestProxy_Reload_KeepsOpenConnections(t *testing.T) {
	up := newUpstream(t, false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	tp := newTestProxy(t, up, nil)
	c := tp.client()
	get := func(c *http.Client, u string) int {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(c, "https://las.cloud.com/1"); got != 200 {
		t.Fatalf("before reload: got %d", got)
	}
	tp.Reload(Policy{Intercept: []string{"cis.citrix.com"}, Deny: true, Allow: tp.opts.Allow, AllowLocal: tp.opts.AllowLocal})
	// The keep-alive connection to las.cloud.com was opened under the old
	// policy: it goes on.
	if got := get(c, "https://las.cloud.com/2"); got != 200 {
		t.Errorf("open connection after reload: got %d, want 200", got)
	}
	// A new connection follows the new policy: las.cloud.com is neither
	// intercepted nor tunnelled any more.
	if _, err := tp.client().Get("https://las.cloud.com/3"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("new connection after reload: got %v, want 403 Forbidden", err)
	}
	if got := get(tp.client(), "https://cis.citrix.com/4"); got != 200 {
		t.Errorf("newly intercepted host: got %d, want 200", got)
	}
	tp.Reload(Policy{Intercept: interceptHosts, Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	if got := get(&http.Client{Transport: &http.Transport{}}, "http://"+tp.URL.Host+"/"); got != http.StatusForbidden {
		t.Errorf("client outside the new allow list: got %d, want 403", got)
	}
}
