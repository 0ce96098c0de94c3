package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/tmpfs"
	"github.com/telltale/telltale/store"
)

// TestServe_FullDisk runs serve on a real 16 MiB tmpfs (issue 21, item
// 4): at a few MiB free it still captures and forwards; full, a client
// gets a 502 instead of waiting, the refused request is recorded,
// /readyz says why and an alert goes out; once space is back, capture
// resumes without a restart and nothing acknowledged is lost.
func TestServe_FullDisk(t *testing.T) {
	mnt := tmpfs.Mount(t, 16<<20)
	v := newVendor(t)
	hook := newWebhook(t)
	cfg, data := writeConfigIn(t, v, filepath.Join(mnt, "data"), "alerts:\n  webhook: "+hook.URL+"\n  min_free_bytes: 1\n")
	allowLocal(t, cfg, hook.URL) // the webhook listens on loopback
	addr, stop := startServeStop(t, "-c", cfg)
	t.Cleanup(stop) // before the unmount
	c := proxyClient(t, addr, data)
	base, hc, _ := adminAPI(t, data)
	const u = "https://las.cloud.com/ccid/netscalerfixedbw/customerentitlements"

	tmpfs.Fill(t, mnt, 3<<20)
	for i := range 10 {
		post(t, c, u, fmt.Sprint("few-mib-", i), `{"ver":"1.0"}`)
	}

	tmpfs.FillUp(t, mnt)
	big := strings.Repeat("x", 32<<10)
	var refused string
	for i := 0; i < 1000 && refused == ""; i++ {
		code, body := postBounded(t, c, u, fmt.Sprint("full-", i), big)
		switch code {
		case http.StatusOK:
		case http.StatusBadGateway:
			refused = body
		default:
			t.Fatalf("POST on a full disk: got %d %s, want 200 or 502", code, body)
		}
	}
	if !strings.Contains(refused, "could not be recorded") || !strings.Contains(refused, "disk full") {
		t.Fatalf("POST on a full disk: got %q, want a 502 saying the disk is full", refused)
	}
	code, body := getBounded(t, hc, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "disk full") {
		t.Errorf("/readyz on a full disk: got %d %s, want 503 saying the disk is full", code, body)
	}
	if a := hook.wait(t, "disk_low"); !strings.Contains(fmt.Sprint(a["summary"]), "Disk nearly full") {
		t.Errorf("disk_low alert: got %v", a)
	}
	hook.wait(t, "capture_failed")

	tmpfs.Drain(t, mnt)
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := getBounded(t, hc, base+"/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz once space is back: still %d %s", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	post(t, c, u, "after", `{"ver":"1.0"}`)
	stop()

	if out, errOut, code := cli(t, "verify", "--data", data); code != 0 {
		t.Errorf("verify --data: exit %d\n%s%s", code, out, errOut)
	}
	received := v.received()
	if missing, lost := accounted(t, data, received); missing != 0 || len(lost) != 0 {
		t.Errorf("%d of %d forwarded requests have no request record, %d lost", missing, len(received), len(lost))
	}
	var standIn bool
	for _, it := range listJSON(t, "--data", data) {
		standIn = standIn || it.Kind == string(store.KindDenied) && strings.HasPrefix(it.Error, store.RequestNotRecorded)
	}
	if !standIn {
		t.Errorf("list: no denied record for the request the full disk refused")
	}
}

// writeConfigIn is writeConfig with the data dir at data.
func writeConfigIn(t *testing.T, v *vendor, data, extra string) (cfgPath, dataDir string) {
	t.Helper()
	cfgPath, old := writeConfig(t, v, extra)
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(b), "data_dir: "+old, "data_dir: "+data, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, data
}

// postBounded posts body and fails the test if no response arrives before
// a deadline: a full disk must answer, not hang the client.
func postBounded(t *testing.T, c *http.Client, u, id, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", u, strings.NewReader(body))
	req.Header.Set("X-Req-Id", id)
	req.Header.Set("Content-Type", "application/json")
	return doBounded(t, c, req)
}

func getBounded(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	return doBounded(t, c, req)
}

func doBounded(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v (no answer before the deadline: it hangs)", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
