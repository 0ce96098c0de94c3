package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telltale/telltale/server"
)

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// writeOpsConfig is writeConfig with api.cloud.com intercepted but
// unreachable (its resolve points at a closed port), and extra keys.
func writeOpsConfig(t *testing.T, v *vendor, extra string) (cfgPath, dataDir string) {
	t.Helper()
	dir := t.TempDir()
	dataDir = filepath.Join(dir, "data")
	caPath := filepath.Join(dir, "vendor-ca.pem")
	os.WriteFile(caPath, v.CA.PEM(), 0o644)
	addr, closed := v.Listener.Addr().String(), closedAddr(t)
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
data_dir: %s
admin:
  listen: 127.0.0.1:0
intercept:
  hosts: [las.cloud.com, cis.citrix.com, api.cloud.com]
upstream:
  ca_file: %s
  resolve: {"las.cloud.com:443": %q, "cis.citrix.com:443": %q, "api.cloud.com:443": %q}
  allow_local: [%q, %q]
log:
  level: warn
  format: json
%s`, dataDir, caPath, addr, addr, closed, addr, closed, extra)
	cfgPath = filepath.Join(dir, "telltale.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dataDir
}

// adminAPI is the running serve's admin base URL, HTTP client and token.
func adminAPI(t *testing.T, dataDir string) (base string, hc *http.Client, token string) {
	t.Helper()
	info, ok := server.ReadAdminInfo(dataDir)
	if !ok {
		t.Fatalf("no %s in %s", server.AdminInfoFile, dataDir)
	}
	base, hc, err := info.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	if hc == nil {
		hc = &http.Client{}
	}
	hc.Timeout = 10 * time.Second
	tok, err := os.ReadFile(filepath.Join(dataDir, server.AdminTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	return base, hc, strings.TrimSpace(string(tok))
}

func adminDo(t *testing.T, hc *http.Client, method, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue finds one sample in the text exposition format.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		t.Errorf("no sample %s in the scrape", series)
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// webhook receives alerts.
type webhook struct {
	*httptest.Server
	mu     sync.Mutex
	alerts []map[string]any
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var a map[string]any
		json.NewDecoder(r.Body).Decode(&a)
		w.mu.Lock()
		w.alerts = append(w.alerts, a)
		w.mu.Unlock()
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhook) wait(t *testing.T, kind string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		for _, a := range w.alerts {
			if a["kind"] == kind {
				w.mu.Unlock()
				return a
			}
		}
		w.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s alert reached the webhook", kind)
	return nil
}

func TestServe_MetricsHealthAndAlerts_AfterTraffic(t *testing.T) {
	v := newVendor(t)
	hook := newWebhook(t)
	cfg, data := writeOpsConfig(t, v, "alerts:\n  webhook: "+hook.URL+"\n")
	allowLocal(t, cfg, hook.URL)
	addr := startServe(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	post(t, c, "https://las.cloud.com/ccid/netscalerfixedbw/customerentitlements", "a", `{"ver":"1.0"}`)
	post(t, c, "https://las.cloud.com/ccid/netscalerfixedbw/customerentitlements", "b", `{"ver":"1.0"}`)
	post(t, c, "https://cis.citrix.com/upload", "c", `{"x":1}`)
	resp, err := c.Post("https://api.cloud.com/licensing", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("unreachable upstream: got %s, want 502", resp.Status)
	}
	waitComplete(t, 4, "--data", data)

	a := hook.wait(t, "upstream_failed")
	if a["host"] != "api.cloud.com" || !strings.Contains(fmt.Sprint(a["summary"]), "daily activation is at risk") {
		t.Errorf("alert: got %v", a)
	}

	base, hc, token := adminAPI(t, data)
	if code, body := adminDo(t, hc, "GET", base+"/metrics", ""); code != http.StatusUnauthorized || strings.Contains(body, "telltale_") {
		t.Errorf("/metrics without the token: got %d %q, want 401 and no metrics", code, body)
	}
	if code, _ := adminDo(t, hc, "GET", base+"/metrics", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("/metrics with a wrong token: got %d, want 401", code)
	}
	code, text := adminDo(t, hc, "GET", base+"/metrics", token)
	if code != 200 {
		t.Fatalf("/metrics: got %d", code)
	}
	if got := metricValue(t, text, `telltale_exchanges_total{host="las.cloud.com",kind="exchange",status="2xx"}`); got != 2 {
		t.Errorf("las.cloud.com exchanges: got %v, want 2", got)
	}
	if got := metricValue(t, text, `telltale_exchanges_total{host="api.cloud.com",kind="exchange",status="none"}`); got != 1 {
		t.Errorf("failed exchanges: got %v, want 1", got)
	}
	if got := metricValue(t, text, `telltale_upstream_errors_total{host="api.cloud.com"}`); got != 1 {
		t.Errorf("upstream errors: got %v, want 1", got)
	}
	if got := metricValue(t, text, `telltale_bytes_total{direction="request",host="las.cloud.com",kind="exchange"}`); got != 26 {
		t.Errorf("request bytes: got %v, want 26", got)
	}
	if got := metricValue(t, text, `telltale_store_commit_seconds_count`); got < 4 {
		t.Errorf("store commits: got %v, want at least 4", got)
	}
	if got := metricValue(t, text, `telltale_store_size_bytes{part="db"}`); got <= 0 {
		t.Errorf("store size: got %v", got)
	}
	if got := metricValue(t, text, `telltale_disk_free_bytes`); got <= 0 {
		t.Errorf("disk free: got %v", got)
	}
	if got := metricValue(t, text, `telltale_alerts_total{kind="upstream_failed",outcome="sent"}`); got != 1 {
		t.Errorf("alerts sent: got %v, want 1", got)
	}

	if code, body := adminDo(t, hc, "GET", base+"/healthz", ""); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz: got %d %s", code, body)
	}
	if code, body := adminDo(t, hc, "GET", base+"/readyz", ""); code != 200 || !strings.Contains(body, `"ready"`) {
		t.Errorf("/readyz: got %d %s", code, body)
	}
	if code, _ := adminDo(t, hc, "GET", base+"/api/captures", ""); code != http.StatusUnauthorized {
		t.Errorf("the admin API behind the health routes: got %d without a token, want 401", code)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
