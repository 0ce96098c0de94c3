package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/internal/testpki"
	"github.com/telltale/telltale/store"
)

// testConfig is a config that intercepts las.cloud.com and sends it to
// upstream, with the proxy and the admin API on port 0 and a temp data dir.
func testConfig(t *testing.T, upstream *httptest.Server, ca *testpki.CA) *configs.Config {
	t.Helper()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "vendor-ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := upstream.Listener.Addr().String()
	cfg, err := configs.Parse(fmt.Appendf(nil, `listen: 127.0.0.1:0
data_dir: %s
admin:
  listen: 127.0.0.1:0
intercept:
  hosts: [las.cloud.com]
upstream:
  ca_file: %s
  resolve: {"las.cloud.com:443": %q}
  allow_local: [%q]
`, filepath.Join(dir, "data"), caFile, addr, addr))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestServer_RunOnPort0_RecordsForwardsAndShutsDown starts the daemon as
// serve does, sends one exchange through the proxy, asks the health
// routes, and stops it: Run returns nil and Close removes admin.json.
func TestServer_RunOnPort0_RecordsForwardsAndShutsDown(t *testing.T) {
	vendorCA := testpki.NewCA(t, "vendor CA")
	upstream := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	upstream.TLS = &tls.Config{Certificates: []tls.Certificate{vendorCA.Server(t, "las.cloud.com")}}
	upstream.StartTLS()
	defer upstream.Close()
	cfg := testConfig(t, upstream, vendorCA)

	s, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	pool := x509.NewCertPool()
	pool.AddCert(s.CA.Certificate())
	proxyURL, _ := url.Parse("http://" + s.ProxyAddr())
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Post("https://las.cloud.com/ccid/x", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"ok":true}` {
		t.Fatalf("through the proxy: got %d %q, want 200 from the upstream", resp.StatusCode, body)
	}
	waitCaptured(t, s.Store, "las.cloud.com")

	info, ok := ReadAdminInfo(cfg.DataDir)
	if !ok || info.Addr != s.AdminAddr() || info.PID != os.Getpid() {
		t.Fatalf("admin.json: got %+v %v, want this server's address and pid", info, ok)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body, err := Health(cfg.DataDir, path); err != nil || code != 200 {
			t.Errorf("%s: got %d %s %v, want 200", path, code, body, err)
		}
	}
	resp, err = http.Get("http://" + s.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: got %d, want 401", resp.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: got %v, want nil after ctx ended", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, AdminInfoFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("admin.json after Close: %v, want it removed", err)
	}
}

func waitCaptured(t *testing.T, st *store.Store, host string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cs, err := st.List(store.Query{})
		if err == nil && len(cs) == 1 && cs[0].Host == host && cs[0].Complete {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("captures: got %+v %v, want one complete exchange with %s", cs, err, host)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A CA that does not cover intercept.hosts is a configuration error: the
// CLI exits 2 on it.
func TestNew_UncoveredHost_ConfigError(t *testing.T) {
	cfg, _ := configs.Parse(nil)
	cfg.DataDir = t.TempDir()
	cfg.Listen, cfg.Admin.Listen = "127.0.0.1:0", "127.0.0.1:0"
	s, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	cfg.Intercept.Hosts = append(cfg.Intercept.Hosts, "telemetry.vendor.example")
	_, err = New(cfg, Options{})
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "telemetry.vendor.example") {
		t.Fatalf("got %v, want a *ConfigError naming the host", err)
	}
}
