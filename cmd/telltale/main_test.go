package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/testpki"
)

// vendor is a stand-in for the vendor's TLS servers; it logs the X-Req-Id
// header of every request it received.
type vendor struct {
	*httptest.Server
	CA *testpki.CA

	mu  sync.Mutex
	ids []string
}

func newVendor(t *testing.T) *vendor {
	v := &vendor{CA: testpki.NewCA(t, "vendor CA")}
	v.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v.mu.Lock()
		v.ids = append(v.ids, r.Header.Get("X-Req-Id"))
		v.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"len":%d}`, len(body))
	}))
	v.TLS = &tls.Config{Certificates: []tls.Certificate{v.CA.Server(t, "las.cloud.com", "cis.citrix.com")}}
	v.StartTLS()
	t.Cleanup(v.Close)
	return v
}

func (v *vendor) received() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.ids...)
}

// writeConfig writes a config that intercepts the vendor's names and sends
// them to v, with the proxy and admin API on port 0.
func writeConfig(t *testing.T, v *vendor, extra string) (cfgPath, dataDir string) {
	dir := t.TempDir()
	dataDir = filepath.Join(dir, "data")
	caPath := filepath.Join(dir, "vendor-ca.pem")
	os.WriteFile(caPath, v.CA.PEM(), 0o644)
	addr := v.Listener.Addr().String()
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
data_dir: %s
admin:
  listen: 127.0.0.1:0
intercept:
  hosts: [las.cloud.com, cis.citrix.com, "*.citrixworkspacesapi.net"]
upstream:
  ca_file: %s
  resolve: {"las.cloud.com:443": %q, "cis.citrix.com:443": %q}
  allow_local: [%q]
log:
  level: warn
  format: json
%s`, dataDir, caPath, addr, addr, addr, extra)
	cfgPath = filepath.Join(dir, "telltale.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dataDir
}

// cli runs one telltale command line in-process.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

// startServe runs `telltale serve` in-process until the test ends and
// returns the proxy address printed at start.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	addr, stop := startServeStop(t, args...)
	t.Cleanup(stop)
	return addr
}

// startServeStop is startServe with a stop function that shuts the server
// down gracefully and checks its exit code; it may be called more than once.
func startServeStop(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	return serveTo(t, io.Discard, args...)
}

// serveTo is startServeStop with serve's log written to stderr.
func serveTo(t *testing.T, stderr io.Writer, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"serve"}, args...), pw, stderr)
		pw.Close()
		done <- code
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("serve exited %d", code)
			}
		})
	}
	select {
	case a := <-proxyAddr(pr):
		return a, stop
	case code := <-done:
		t.Fatalf("serve exited %d before listening", code)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	return "", stop
}

// proxyAddr reads serve's standard output to its end and sends the proxy
// address from its "Proxy on ADDR, admin ..." line.
func proxyAddr(r io.Reader) <-chan string {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		re := regexp.MustCompile(`^Proxy on (\S+), admin`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	return found
}

// proxyClient trusts the CA exported by `telltale ca export`.
func proxyClient(t *testing.T, proxyAddr, dataDir string) *http.Client {
	t.Helper()
	pemOut, errOut, code := cli(t, "ca", "export", "--data", dataDir)
	if code != 0 {
		t.Fatalf("ca export: %d %s", code, errOut)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(pemOut)) {
		t.Fatalf("ca export printed no PEM: %q", pemOut)
	}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		Proxy:           http.ProxyURL(&url.URL{Scheme: "http", Host: proxyAddr}),
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}}
}

func post(t *testing.T, c *http.Client, u, id, body string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(body))
	req.Header.Set("X-Req-Id", id)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %s", u, resp.Status)
	}
}

// numID is an id that list --json and show --json print as a JSON
// number; a quoted id does not decode.
type numID string

func (n *numID) UnmarshalJSON(b []byte) error {
	var v uint64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("id %s: want a JSON number: %w", b, err)
	}
	*n = numID(strconv.FormatUint(v, 10))
	return nil
}

type listItem struct {
	ID            numID  `json:"id"`
	Time          string `json:"time"`
	Client        string `json:"client"`
	Kind          string `json:"kind"`
	Method        string `json:"method"`
	Host          string `json:"host"`
	URL           string `json:"url"`
	Status        int    `json:"status"`
	RequestBytes  int64  `json:"request_bytes"`
	ResponseBytes int64  `json:"response_bytes"`
	Error         string `json:"error"`
	Complete      bool   `json:"complete"`
	Endpoint      string `json:"endpoint"`
}

func listJSON(t *testing.T, args ...string) []listItem {
	t.Helper()
	out, errOut, code := cli(t, append([]string{"list", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, errOut)
	}
	var items []listItem
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		t.Fatalf("list --json is not a JSON array: %v\n%s", err, out)
	}
	return items
}

// waitComplete polls list until n captures are complete.
func waitComplete(t *testing.T, n int, args ...string) []listItem {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		items := listJSON(t, args...)
		done := 0
		for _, it := range items {
			if it.Complete {
				done++
			}
		}
		if done >= n {
			return items
		}
		if time.Now().After(deadline) {
			t.Fatalf("want %d complete captures, got %+v", n, items)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sleepMS(n int) { time.Sleep(time.Duration(n) * time.Millisecond) }
