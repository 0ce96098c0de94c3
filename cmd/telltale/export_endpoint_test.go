package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCLI_Export_EndpointProvenComplete: `telltale export --endpoint`
// takes exactly that endpoint's requests, and `telltale verify` proves
// the bundle holds all of them by the signed capture index.
func TestCLI_Export_EndpointProvenComplete(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	post(t, c, "https://cis.citrix.com/api/upload?n=1", "a", `{"n":1}`)
	post(t, c, "https://cis.citrix.com/api/other", "b", `{"n":2}`)
	post(t, c, "https://las.cloud.com/api/upload", "c", `{"n":3}`)
	post(t, c, "https://cis.citrix.com/api/upload?n=4", "d", `{"n":4}`)
	waitComplete(t, 4, "--data", data)
	stop()

	bundle := filepath.Join(t.TempDir(), "endpoint.zip")
	out, errOut, code := cli(t, "export", "-o", bundle, "--data", data, "-c", cfg, "--endpoint", "POST cis.citrix.com/api/upload")
	if code != 0 || !strings.Contains(out, "2 captures (4 records)") {
		t.Fatalf("export --endpoint: exit %d, %q %s", code, out, errOut)
	}
	out, errOut, code = cli(t, "verify", bundle, "--key", filepath.Join(data, "ca", "log.pub"))
	want := "complete    every capture of endpoint POST cis.citrix.com/api/upload in the log up to tree size 8: 2, all in this bundle"
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("verify: exit %d, want %q in\n%s%s", code, want, out, errOut)
	}
	_, errOut, code = cli(t, "export", "-o", filepath.Join(t.TempDir(), "x.zip"), "--data", data, "--endpoint", "cis.citrix.com/api/upload")
	if code != 2 || !strings.Contains(errOut, `want "METHOD HOST/PATH"`) {
		t.Errorf("export --endpoint without a method: exit %d %q", code, errOut)
	}
}
