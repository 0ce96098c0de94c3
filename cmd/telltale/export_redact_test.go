package main

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// bundleHolds reports whether any file of a bundle contains s.
func bundleHolds(t *testing.T, bundle, s string) bool {
	t.Helper()
	zr, err := zip.OpenReader(bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

// export withholds secrets by default: the head's other fields and the
// body's other fields are proven (verify passes), the secrets are absent.
// --no-redact keeps them, with a warning.
func TestCLI_Export_RedactsByDefault(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	req, _ := http.NewRequest("POST", "https://las.cloud.com/root/tokens/clients?access_token=Q-SECRET-77",
		strings.NewReader(`{"clientId":"lic","clientSecret":"4821"}`))
	req.Header.Set("Authorization", "CWSAuth bearer=B-SECRET-99")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Cws-Trace", "trace-visible")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	waitComplete(t, 1, "--data", data)
	stop()

	dir := t.TempDir()
	redacted, full := filepath.Join(dir, "default.zip"), filepath.Join(dir, "full.zip")
	out, errOut, code := cli(t, "export", "-o", redacted, "--data", data, "-c", cfg)
	if code != 0 || !strings.Contains(out, "withheld 2 parts") || strings.Contains(errOut, "warning") {
		t.Fatalf("export: exit %d, %q %q", code, out, errOut)
	}
	if out, errOut, code := cli(t, "verify", redacted, "--key", filepath.Join(data, "ca", "log.pub")); code != 0 {
		t.Fatalf("verify of the redacted bundle: exit %d, %q %s", code, out, errOut)
	}
	for _, s := range []string{"Q-SECRET-77", "B-SECRET-99", `"4821"`} {
		if bundleHolds(t, redacted, s) {
			t.Errorf("the default bundle holds %s", s)
		}
	}
	for _, s := range []string{"trace-visible", `\"clientId\":\"lic\"`, `"clientSecret":"[REDACTED]"`} {
		if !bundleHolds(t, redacted, s) {
			t.Errorf("the default bundle lost %s", s)
		}
	}

	out, errOut, code = cli(t, "export", "-o", full, "--data", data, "--no-redact")
	if code != 0 || !strings.Contains(errOut, "warning: --no-redact") {
		t.Fatalf("export --no-redact: exit %d, %q %q, want a warning", code, out, errOut)
	}
	if out, errOut, code := cli(t, "verify", full, "--key", filepath.Join(data, "ca", "log.pub")); code != 0 {
		t.Fatalf("verify of the full bundle: exit %d, %q %s", code, out, errOut)
	}
	if !bundleHolds(t, full, "B-SECRET-99") || !bundleHolds(t, full, `"clientSecret":"4821"`) {
		t.Error("the --no-redact bundle lacks the secrets")
	}
	if _, errOut, code := cli(t, "export", "-o", full, "--data", data, "--redact", "--no-redact"); code != 2 || !strings.Contains(errOut, "give one") {
		t.Errorf("--redact --no-redact: exit %d %q, want a usage error", code, errOut)
	}
}
