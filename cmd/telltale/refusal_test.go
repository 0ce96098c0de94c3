package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/testtool"
)

// pinningClient goes through the proxy at addr and trusts only the
// vendor's CA: a license server component with a trust store of its own.
func pinningClient(v *vendor, addr string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy:             http.ProxyURL(&url.URL{Scheme: "http", Host: addr}),
		TLSClientConfig:   &tls.Config{RootCAs: v.CA.Pool()},
		DisableKeepAlives: true,
	}}
}

// TestServe_ClientRefusesCA_RecordedAlertedPassedThrough: a client that
// pins the vendor's CA refuses Telltale's certificate. Each refusal is a
// denied capture naming the alert (list, show, verify, an export
// bundle), an alert at once (webhook), a metric and an entry of GET
// /api/refusals; with intercept.on_client_refusal: tunnel the second
// refusal passes the host through (the license call works, recorded as a
// tunnel with the reason, alerted), until DELETE
// /api/refusals/pass-through. curl without --cacert is refused the same way.
func TestServe_ClientRefusesCA_RecordedAlertedPassedThrough(t *testing.T) {
	v := newVendor(t)
	hook := newWebhook(t)
	cfg, data := writeOpsConfig(t, v, "alerts:\n  webhook: "+hook.URL+"\n")
	allowLocal(t, cfg, hook.URL)
	setIntercept(t, cfg, "  on_client_refusal: tunnel\n  refusal_limit: 2\n")
	addr := startServe(t, "-c", cfg)
	pinned := pinningClient(v, addr)
	for i := range 2 {
		if _, err := pinned.Get("https://las.cloud.com/activate"); err == nil {
			t.Fatalf("request %d: a client that pins the vendor's CA got through", i+1)
		}
	}
	a := hook.wait(t, "client_refused_tls")
	if a["host"] != "las.cloud.com" || !strings.Contains(fmt.Sprint(a["summary"]), "127.0.0.1 refused Telltale's certificate") ||
		!strings.Contains(fmt.Sprint(a["detail"]), "TLS alert bad certificate") {
		t.Errorf("alert: got %v", a)
	}
	resp, err := pinned.Get("https://las.cloud.com/activate")
	if err != nil {
		t.Fatalf("after 2 refusals: %v, want passed through to the vendor", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	items := waitComplete(t, 3, "--data", data)
	var denied, tunnels []listItem
	for _, it := range items {
		switch {
		case it.Kind == "denied" && strings.HasPrefix(it.Error, "client refused TLS") && strings.Contains(it.Error, "TLS alert bad certificate"):
			denied = append(denied, it)
		case it.Kind == "tunnel" && strings.HasPrefix(it.Error, "passed through uninspected"):
			tunnels = append(tunnels, it)
		}
	}
	if len(denied) != 2 || len(tunnels) != 1 || denied[0].Host != "las.cloud.com" || tunnels[0].ResponseBytes == 0 {
		t.Fatalf("list: got %+v, want 2 refused handshakes and 1 pass-through tunnel", items)
	}
	if out, _, code := cli(t, "show", "--id", string(denied[0].ID), "--data", data); code != 0 || !strings.Contains(out, "client refused TLS") {
		t.Errorf("show of a refused handshake: exit %d\n%s", code, out)
	}
	hook.wait(t, "pass_through")

	base, hc, token := adminAPI(t, data)
	_, metrics := adminDo(t, hc, "GET", base+"/metrics", token)
	if n := metricValue(t, metrics, `telltale_client_tls_refusals_total{host="las.cloud.com"}`); n != 2 {
		t.Errorf("refusals metric: got %v, want 2", n)
	}
	if n := metricValue(t, metrics, `telltale_pass_through_tunnels_total{host="las.cloud.com"}`); n != 1 {
		t.Errorf("pass-through metric: got %v, want 1", n)
	}
	var ans struct {
		Refusals []struct {
			Client, Host, Alert string
			Count               int
		} `json:"refusals"`
		PassThrough []struct{ Client, Host string } `json:"pass_through"`
	}
	code, body := adminDo(t, hc, "GET", base+"/api/refusals", token)
	if json.Unmarshal([]byte(body), &ans); code != 200 || len(ans.Refusals) != 1 || ans.Refusals[0].Count != 2 ||
		len(ans.PassThrough) != 1 || ans.PassThrough[0].Host != "las.cloud.com:443" {
		t.Errorf("GET /api/refusals: %d %s", code, body)
	}
	if code, body := adminDo(t, hc, "DELETE", base+"/api/refusals/pass-through", token); code != 200 || !strings.Contains(strings.Join(strings.Fields(body), ""), `"ended":1`) {
		t.Errorf("DELETE /api/refusals/pass-through: %d %s", code, body)
	}
	if _, err := pinned.Get("https://las.cloud.com/activate"); err == nil {
		t.Error("after the reset: got through, want intercepted (and refused) again")
	}
	curl := testtool.Need(t, "curl")[0]
	if out, err := exec.Command(curl, "-sS", "--max-time", "10", "--proxy", "http://"+addr, "https://cis.citrix.com/upload").CombinedOutput(); err == nil {
		t.Errorf("curl without --cacert got through: %s", out)
	}
	items = waitComplete(t, 5, "--data", data)
	if last := items[len(items)-1]; !strings.HasPrefix(last.Error, "client refused TLS") {
		t.Errorf("the newest capture: got %+v, want a refused handshake", last)
	}
	if out, errOut, code := cli(t, "verify", "--data", data); code != 0 {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
	bundle := filepath.Join(t.TempDir(), "b.zip")
	if _, errOut, code := cli(t, "export", "-o", bundle, "--data", data); code != 0 {
		t.Fatalf("export: exit %d %s", code, errOut)
	}
	if out, errOut, code := cli(t, "verify", bundle, "--key", filepath.Join(data, "ca", "log.pub")); code != 0 {
		t.Errorf("verify bundle: exit %d\n%s%s", code, out, errOut)
	}
}

// TestCLI_Doctor_Refusals: doctor fails naming the client, host and
// alert of a refused handshake, from the running serve and, once it has
// stopped, from the store; with none it says so.
func TestCLI_Doctor_Refusals(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	lines, _ := doctorLines(t, "-c", cfg)
	wantLine(t, lines, "ok", "refusals", "no client refused Telltale's certificate since serve started")
	if _, err := pinningClient(v, addr).Get("https://las.cloud.com/activate"); err == nil {
		t.Fatal("a client that pins the vendor's CA got through")
	}
	waitComplete(t, 1, "--data", data)
	lines, code := doctorLines(t, "-c", cfg)
	wantLine(t, lines, "fail", "refusals", `127\.0\.0\.1 refused the certificate for las\.cloud\.com:443 1 times since serve started .*TLS alert bad certificate`)
	if code != 1 {
		t.Errorf("doctor with a refusal: exit %d, want 1", code)
	}
	stop()
	lines, _ = doctorLines(t, "-c", cfg)
	wantLine(t, lines, "fail", "refusals", `127\.0\.0\.1 refused the certificate for las\.cloud\.com:443 1 times in the last 7 days .*TLS alert bad certificate`)
}
