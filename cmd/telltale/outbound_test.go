package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hostOfURL is the host:port of a test receiver's URL.
func hostOfURL(t testing.TB, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		t.Fatalf("bad URL %q", u)
	}
	return p.Host
}

// allowLocalYAML is an upstream section naming the receivers at urls in
// allow_local: they listen on loopback, which Telltale's own requests
// refuse otherwise.
func allowLocalYAML(urls ...string) string {
	var q []string
	for _, u := range urls {
		p, _ := url.Parse(u)
		q = append(q, fmt.Sprintf("%q", p.Host))
	}
	return "upstream:\n  allow_local: [" + strings.Join(q, ", ") + "]\n"
}

// allowLocal adds the receivers at urls to upstream.allow_local in the
// config file at path (written by writeConfig or writeOpsConfig).
func allowLocal(t testing.TB, path string, urls ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var q []string
	for _, u := range urls {
		q = append(q, fmt.Sprintf("%q", hostOfURL(t, u)))
	}
	s := strings.Replace(string(b), "  allow_local: [", "  allow_local: ["+strings.Join(q, ", ")+", ", 1)
	if s == string(b) {
		t.Fatalf("%s has no allow_local line", path)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// canary counts the requests that reach it: where a redirect or a
// refused address would have led.
type canary struct {
	*httptest.Server
	hits atomic.Int64
}

func newCanary(t *testing.T) *canary {
	c := &canary{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(c.Close)
	return c
}

// redirector answers every request with a 307 to where().
func redirector(t *testing.T, where func() string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, where(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestCLI_CheckpointSend_RedirectNotFollowed: a witness (named in
// allow_local) that answers 307 to another loopback service does not
// make `checkpoint --send` post there; the command fails, saying so.
func TestCLI_CheckpointSend_RedirectNotFollowed(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeOpsConfig(t, v, "evidence:\n  checkpoint_interval: 1h\n")
	addr, stop := startServeStop(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/a", "a", `{"n":1}`)
	waitComplete(t, 1, "--data", data)
	stop()

	target := newCanary(t)
	w := redirector(t, func() string { return target.URL + "/checkpoints" })
	sendCfg := filepath.Join(t.TempDir(), "send.yaml")
	os.WriteFile(sendCfg, []byte("evidence:\n  witness_url: "+w.URL+"\n"+allowLocalYAML(w.URL)), 0o644)
	_, errOut, code := cli(t, "checkpoint", "--data", data, "--send", "-c", sendCfg)
	if code != 1 || !strings.Contains(errOut, "307") || !strings.Contains(errOut, "not followed") {
		t.Errorf("--send to a redirecting witness: exit %d %s, want 1 naming the 307 not followed", code, errOut)
	}
	if n := target.hits.Load(); n != 0 {
		t.Errorf("the redirect's target got %d posts, want 0", n)
	}

	// The witness itself on loopback, not named in allow_local: refused
	// before anything is sent.
	direct := newCanary(t)
	os.WriteFile(sendCfg, []byte("evidence:\n  witness_url: "+direct.URL+"\n"), 0o644)
	_, errOut, code = cli(t, "checkpoint", "--data", data, "--send", "-c", sendCfg)
	if code != 1 || !strings.Contains(errOut, "loopback") || !strings.Contains(errOut, "upstream.allow_local") {
		t.Errorf("--send to a loopback witness: exit %d %s, want 1 naming the guard", code, errOut)
	}
	if n := direct.hits.Load(); n != 0 {
		t.Errorf("the loopback witness got %d posts, want 0", n)
	}
}

// TestServe_OwnRequests_Guarded: serve's TSA (named in allow_local)
// answers 307 to serve's own admin API, and the alert webhook is a
// loopback service that allow_local does not name. Neither reaches its
// target: the anchor fails naming the redirect, the alert is
// dead-lettered naming the guard.
func TestServe_OwnRequests_Guarded(t *testing.T) {
	v := newVendor(t)
	var admin atomic.Value
	admin.Store("http://127.0.0.1:1")
	tsa := redirector(t, func() string { return admin.Load().(string) + "/api/checkpoint" })
	hook := newCanary(t)
	cfg, data := writeOpsConfig(t, v, fmt.Sprintf("evidence:\n  checkpoint_interval: 1h\n  tsa_url: %s/tsa\nalerts:\n  webhook: %s\n",
		tsa.URL, hook.URL))
	allowLocal(t, cfg, tsa.URL)
	addr := startServe(t, "-c", cfg)
	base, hc, token := adminAPI(t, data)
	admin.Store(base)

	c := proxyClient(t, addr, data)
	resp, err := c.Post("https://api.cloud.com/licensing", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close() // 502: upstream_failed, an alert for the webhook
	waitComplete(t, 1, "--data", data)
	if _, errOut, code := cli(t, "checkpoint", "--data", data); code != 0 {
		t.Fatalf("checkpoint: exit %d %s", code, errOut)
	}
	dead := filepath.Join(data, "alerts-dead-letter.jsonl")
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(dead)
		if got = string(b); strings.Contains(got, "anchor_failed") && strings.Contains(got, "upstream_failed") {
			break
		}
	}
	if !strings.Contains(got, "upstream_failed") || !strings.Contains(got, "loopback") {
		t.Errorf("dead letters: got %q, want upstream_failed refused as loopback", got)
	}
	if !strings.Contains(got, "307") || !strings.Contains(got, "not followed") {
		t.Errorf("dead letters: got %q, want the anchor_failed alert naming the 307 not followed", got)
	}
	if n := hook.hits.Load(); n != 0 {
		t.Errorf("the loopback webhook got %d posts, want 0", n)
	}
	_, metrics := adminDo(t, hc, "GET", base+"/metrics", token)
	if n := metricValue(t, metrics, `telltale_anchor_failures_total{kind="rfc3161"}`); n < 1 {
		t.Errorf("anchor failures: got %v, want at least 1", n)
	}
}

// setIntercept adds keys (indented lines) to intercept in the config
// file at path.
func setIntercept(t testing.TB, path, keys string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), "intercept:\n")
	if i < 0 {
		t.Fatalf("%s has no intercept section", path)
	}
	i += len("intercept:\n")
	s := string(b[:i]) + keys + string(b[i:])
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
