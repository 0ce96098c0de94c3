package main

import (
	"archive/zip"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/server"
)

// uiLink runs `telltale ui` and returns the login link it prints.
func uiLink(t *testing.T, dataDir string) string {
	t.Helper()
	out, errOut, code := cli(t, "ui", "--data", dataDir)
	if code != 0 {
		t.Fatalf("telltale ui: exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`(?m)^\s+(https?://\S+/login#\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("telltale ui printed no login link:\n%s", out)
	}
	return m[1]
}

func TestUI_Command_PrintsOneTimeLinkWithoutToken(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	startServe(t, "-c", cfg)
	token, _ := os.ReadFile(filepath.Join(data, server.AdminTokenFile))
	link := uiLink(t, data)
	if strings.Contains(link, strings.TrimSpace(string(token))) {
		t.Fatalf("the login link holds the admin token: %s", link)
	}
	if other := uiLink(t, data); other == link {
		t.Errorf("two links are the same: %s", link)
	}
	if _, errOut, code := cli(t, "ui", "--data", t.TempDir()); code != 2 || !strings.Contains(errOut, "no running `telltale serve`") {
		t.Errorf("ui without serve: exit %d %q, want 2", code, errOut)
	}
}

func TestServe_AdminOffLoopback_NeedsTLS(t *testing.T) {
	v := newVendor(t)
	cfg, _ := writeConfig(t, v, "")
	_, errOut, code := cli(t, "serve", "-c", cfg, "--admin", "0.0.0.0:0")
	if code != 2 || !strings.Contains(errOut, "admin.listen") || !strings.Contains(errOut, "TLS") {
		t.Errorf("admin on 0.0.0.0 without TLS: exit %d %q, want 2 naming admin.listen and TLS", code, errOut)
	}
	for extra, want := range map[string]string{
		"  tls: on\n":                "admin.tls",
		"  tls_cert: /nonexistent\n": "tls_cert and tls_key go together",
		"  tls_cert: /nonexistent\n  tls_key: /nonexistent\n": "admin.tls_cert",
		"  tls: auto\n  tls_names: [\"bad name\"]\n":          "admin.tls_names[0]",
	} {
		cfg, _ := writeConfig(t, v, "")
		b, _ := os.ReadFile(cfg)
		os.WriteFile(cfg, []byte(strings.Replace(string(b), "  listen: 127.0.0.1:0\n", "  listen: 127.0.0.1:0\n"+extra, 1)), 0o644)
		if _, errOut, code := cli(t, "serve", "-c", cfg); code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("admin %q: exit %d %q, want 2 naming %s", extra, code, errOut, want)
		}
	}
}

func TestServe_AdminTLSAuto_ServesUIAndCLI(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "  listen: 127.0.0.1:0\n", "  listen: 0.0.0.0:0\n  tls: auto\n", 1)), 0o644)
	proxyAddr := startServe(t, "-c", cfg)
	link := uiLink(t, data)
	if !strings.HasPrefix(link, "https://") {
		t.Fatalf("login link over TLS: got %s", link)
	}
	// The auto certificate is no CA, names localhost, and its key is 0600.
	certPEM, err := os.ReadFile(filepath.Join(data, "admin-tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(certPEM)
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil || leaf.IsCA || leaf.VerifyHostname("localhost") != nil || leaf.VerifyHostname("127.0.0.1") != nil {
		t.Errorf("auto certificate: CA %v, names %v %v (%v)", leaf.IsCA, leaf.DNSNames, leaf.IPAddresses, err)
	}
	if fi, _ := os.Stat(filepath.Join(data, "admin-tls", "key.pem")); fi == nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("auto certificate key: %v, want mode 0600", fi)
	}
	// The CLI reaches the API over TLS while serve holds the store.
	post(t, proxyClient(t, proxyAddr, data), "https://las.cloud.com/x", "1", `{"a":1}`)
	waitComplete(t, 1, "--data", data)
	// A browser gets a Secure cookie.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}}
	base, nonce, _ := strings.Cut(link, "/login#")
	resp, err := hc.Post(base+"/api/login", "application/json", strings.NewReader(`{"nonce":"`+nonce+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(resp.Cookies()) != 1 || !resp.Cookies()[0].Secure || !resp.Cookies()[0].HttpOnly {
		t.Errorf("login over TLS: %d %+v, want a Secure HttpOnly cookie", resp.StatusCode, resp.Cookies())
	}
}

// keyMaterial is what must never leave the server: the CA key, the log
// signing key and the admin TLS key, in every encoding a route might use.
func keyMaterial(t *testing.T, data string) [][]byte {
	t.Helper()
	out := [][]byte{[]byte("PRIVATE KEY"), []byte("PRIVATE+KEY")}
	for _, f := range []string{"ca/ca-key.pem", "ca/log.key", "admin-tls/key.pem"} {
		b, err := os.ReadFile(filepath.Join(data, f))
		if err != nil {
			continue
		}
		out = append(out, bytes.TrimSpace(b))
		if blk, _ := pem.Decode(b); blk != nil {
			out = append(out, blk.Bytes, []byte(base64.StdEncoding.EncodeToString(blk.Bytes)), []byte(hex.EncodeToString(blk.Bytes)))
		}
	}
	if len(out) < 5 {
		t.Fatalf("found no key files in %s", data)
	}
	return out
}

func scanForKeys(t *testing.T, what string, b []byte, keys [][]byte) {
	t.Helper()
	for _, k := range keys {
		if bytes.Contains(b, k) {
			t.Errorf("%s serves key material (%.20q...)", what, k)
		}
	}
}

func TestUI_NoRouteServesKeyMaterial(t *testing.T) {
	s, _, _ := demoRun(t, 3)
	data := s.Config().DataDir
	token, _ := os.ReadFile(filepath.Join(data, server.AdminTokenFile))
	base := "http://" + s.AdminAddr()
	if _, err := s.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	keys := keyMaterial(t, data)
	items := listJSON(t, "--data", data)
	var id, sha string
	for _, it := range items {
		if it.Complete && it.Method == "POST" && it.RequestBytes > 0 {
			id = string(it.ID)
		}
	}
	c, err := s.Store.Capture(id)
	if err != nil {
		t.Fatal(err)
	}
	sha = c.Request.BodySHA256
	fill := strings.NewReplacer("{id}", id, "{side}", "request", "{sha}", sha)
	do := func(method, path, body string) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if strings.HasPrefix(path, "/api/events") {
			b := make([]byte, 4096)
			n, _ := resp.Body.Read(b)
			return b[:n]
		}
		b, _ := io.ReadAll(resp.Body)
		var hdr bytes.Buffer
		resp.Header.Write(&hdr)
		resp.Trailer.Write(&hdr)
		scanForKeys(t, method+" "+path+" headers", hdr.Bytes(), keys)
		return b
	}
	routes := admin.NewHandler(admin.Options{}).Routes()
	routes = append(routes, "GET /healthz", "GET /readyz", "GET /metrics", "GET /api/diff?to="+id, "GET /api/captures?order=desc&q=a",
		"GET /api/captures/{id}/body/response", "GET /ui/../ca/ca-key.pem", "GET /../ca/ca-key.pem", "GET /ca/log.key")
	bodies := map[string]string{"/api/reconcile": `{"csv":"2026-01-01,A.CountUsedMax,1\n"}`, "/api/login": `{"nonce":"x"}`, "/api/exports": `{}`}
	var exportID string
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		if path == "/api/exports/{id}" {
			continue // below, with a real bundle
		}
		b := do(method, fill.Replace(path), bodies[path])
		scanForKeys(t, route, b, keys)
		if path == "/api/exports" {
			var v struct{ ID string }
			json.Unmarshal(b, &v)
			if exportID = v.ID; exportID == "" {
				t.Logf("POST /api/exports: %s", b)
			}
		}
	}
	if exportID == "" {
		t.Fatalf("POST /api/exports made no bundle")
	}
	// The bundle is a zip: scan every file in it.
	zb := do("GET", "/api/exports/"+exportID, "")
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatalf("export bundle: %v", err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		scanForKeys(t, "bundle file "+f.Name, b, keys)
		names[f.Name] = true
	}
	if !names["report.html"] || !names["figures.csv"] {
		t.Errorf("the review UI's export bundle lacks report.html or figures.csv: %v", names)
	}
}
