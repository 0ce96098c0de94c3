package main

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLI_Export_RedactedSubset(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "evidence:\n  redact_fields: [clientSecret, token]\n")
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	req, _ := http.NewRequest("POST", "https://las.cloud.com/root/tokens/clients",
		strings.NewReader(`{"clientId":"lic","clientSecret":"S3CRET-VALUE-xyz"}`))
	req.Header.Set("Authorization", "CWSAuth bearer=S3CRET-BEARER-abc")
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	post(t, c, "https://cis.citrix.com/upload", "b", `{"x":1}`)
	items := waitComplete(t, 2, "--data", data)

	// While serving: the server signs the checkpoint, the CLI reads a snapshot.
	bundle := filepath.Join(t.TempDir(), "redacted.zip")
	out, errOut, code := cli(t, "export", "-o", bundle, "--data", data, "-c", cfg, "--redact", "--id", string(items[0].ID))
	if code != 0 || !strings.Contains(out, "1 captures (2 records)") || !strings.Contains(out, "withheld 2 parts") {
		t.Fatalf("export --redact while serving: exit %d, %q %s", code, out, errOut)
	}
	stop()
	out, errOut, code = cli(t, "verify", bundle, "--key", filepath.Join(data, "ca", "log.pub"))
	if code != 0 || !strings.Contains(out, "withheld    2 parts (2 redacted)") {
		t.Fatalf("verify: exit %d, %q %s", code, out, errOut)
	}
	zr, err := zip.OpenReader(bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(b, []byte("S3CRET")) {
			t.Errorf("%s holds a secret", f.Name)
		}
	}
	raw, _ := os.ReadFile(bundle)
	if bytes.Contains(raw, []byte("S3CRET")) {
		t.Error("the zip holds a secret")
	}
}

func TestCLI_Export_Usage(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"export", "--data", dir}, 2, "-o FILE.zip is required"},
		{[]string{"export", "-o", filepath.Join(dir, "x.zip"), "--id", "1", "--host", "a"}, 2, "without --host"},
		{[]string{"export", "-o", filepath.Join(dir, "x.zip"), "--since", "yesterday"}, 2, "RFC 3339"},
		{[]string{"export", "-o", filepath.Join(dir, "x.zip"), "--data", dir}, 2, "no Telltale store"},
		{[]string{"checkpoint", "--data", dir}, 2, "no Telltale store"},
	}
	for _, tc := range cases {
		_, errOut, code := cli(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d %q, want %d mentioning %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.zip")); !os.IsNotExist(err) {
		t.Errorf("a failed export left %s", filepath.Join(dir, "x.zip"))
	}
}
