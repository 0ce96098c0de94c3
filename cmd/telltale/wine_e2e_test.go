package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/wine"
	"github.com/telltale/telltale/store"
	"github.com/telltale/telltale/testbed"
)

// The Windows build, end to end under Wine (TELLTALE_WINE=1; .ci/run sets
// it), driven from Linux: the demo and the evidence commands, then serve in
// front of the simulated LAS with a real client from Linux, large uploads,
// kill -9 and restart. Wine is not Windows: docs/windows.md says what was
// tested where.

// windowsExe builds telltale.exe once per test binary.
var windowsExe = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "telltale-exe-")
	if err != nil {
		return "", err
	}
	exe := filepath.Join(dir, "telltale.exe")
	cmd := exec.Command("go", "build", "-o", exe, ".")
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build for windows/amd64: %v\n%s", err, out)
	}
	return exe, nil
})

func mustWindowsExe(t *testing.T) string {
	t.Helper()
	wine.Require(t)
	exe, err := windowsExe()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// winCLI runs telltale.exe under Wine and returns its output and exit code.
func winCLI(t *testing.T, exe string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := wine.Command(ctx, exe, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code <= 0 {
		t.Fatalf("telltale.exe %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), errb.String(), code
}

func mustWinCLI(t *testing.T, exe string, args ...string) string {
	t.Helper()
	out, errOut, code := winCLI(t, exe, args...)
	if code != 0 {
		t.Fatalf("telltale.exe %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func TestWine_Demo_ListVerifyExportVerify(t *testing.T) {
	exe := mustWindowsExe(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "demo")
	mustWinCLI(t, exe, "demo", "--days", "3", "--exit", "--data", wine.Path(data))

	list := mustWinCLI(t, exe, "list", "--data", wine.Path(data), "--limit", "1000")
	if n := strings.Count(list, "las.cloud.com") + strings.Count(list, "cis.citrix.com"); n == 0 {
		t.Fatalf("list after the demo shows no LAS or CIS capture:\n%s", list)
	}
	mustWinCLI(t, exe, "verify", "--data", wine.Path(data))

	bundle := filepath.Join(dir, "evidence.zip")
	mustWinCLI(t, exe, "export", "--data", wine.Path(data), "-o", wine.Path(bundle))
	key := wine.Path(filepath.Join(data, "ca", "log.pub"))
	mustWinCLI(t, exe, "verify", bundle, "--key", key)

	// The bundle made on Windows verifies with the Linux build too, and a
	// changed byte in it fails both.
	if out, errOut, code := cli(t, "verify", bundle, "--key", filepath.Join(data, "ca", "log.pub")); code != 0 {
		t.Fatalf("Linux verify of the Windows bundle: exit %d\n%s%s", code, out, errOut)
	}
	tampered := changeZip(t, bundle, func(name string, b []byte) []byte {
		if name == "captures.jsonl" {
			return bytes.Replace(b, []byte("las.cloud.com"), []byte("las.cloud.con"), 1)
		}
		return b
	})
	if out, errOut, code := winCLI(t, exe, "verify", wine.Path(tampered), "--key", key); code == 0 {
		t.Fatalf("telltale.exe verify accepted a tampered bundle:\n%s%s", out, errOut)
	}
}

// TestWine_Serve_UploadsKillRestart runs serve.exe in front of the
// simulated LAS, sends three days of License Server traffic and a 1 MiB and
// a 100 MiB upload from Linux through it, kills it with SIGKILL, restarts
// it and checks that every request the LAS received is a capture.
func TestWine_Serve_UploadsKillRestart(t *testing.T) {
	exe := mustWindowsExe(t)
	las, err := testbed.NewLAS(testbed.LASOptions{MaxBody: 128 << 20})
	if err != nil {
		t.Fatal(err)
	}
	las.Start()
	t.Cleanup(func() { las.Close() })
	cfg, data := writeWineConfig(t, las)

	serve := startWineServe(t, exe, cfg)
	c := &testbed.Client{ProxyURL: &url.URL{Scheme: "http", Host: serve.addr}, RootCAs: wineCA(t, exe, data), Seed: 1}
	if _, err := c.Run(context.Background(), 3); err != nil {
		t.Fatalf("three days through telltale.exe: %v", err)
	}
	hc := wineProxyClient(serve.addr, c.RootCAs)
	var uploads [][]byte
	for _, size := range []int{1 << 20, 100 << 20} {
		uploads = append(uploads, uploadThrough(t, hc, size))
	}
	serve.kill(t)

	// Restarted, serve applies the write-ahead log the kill left, and goes on.
	serve = startWineServe(t, exe, cfg)
	c.ProxyURL.Host = serve.addr
	c.Start = testbed.DefaultStart.AddDate(0, 0, 3)
	if _, err := c.Run(context.Background(), 1); err != nil {
		t.Fatalf("a day through the restarted telltale.exe: %v", err)
	}
	serve.kill(t)

	mustWinCLI(t, exe, "verify", "--data", wine.Path(data))
	requests := storedRequests(t, data)
	received := las.Received()
	if len(requests) < len(received) {
		t.Errorf("the LAS received %d requests, the store holds %d request captures", len(received), len(requests))
	}
	for _, body := range uploads {
		if !slices.ContainsFunc(requests, func(r *store.Record) bool { return describes(r.Body, body) }) {
			t.Errorf("the %d-byte upload has no request capture that describes it", len(body))
		}
		if !slices.ContainsFunc(received, func(e testbed.Exchange) bool { return bytes.Equal(e.Body, body) }) {
			t.Errorf("the %d-byte upload did not reach the LAS unchanged", len(body))
		}
	}
	t.Logf("LAS received %d requests; the store holds %d request captures", len(received), len(requests))
}

type wineServe struct {
	cmd  *exec.Cmd
	addr string
}

func startWineServe(t *testing.T, exe, cfg string) *wineServe {
	t.Helper()
	cmd := wine.Command(context.Background(), exe, "serve", "-c", wine.Path(cfg))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &wineServe{cmd: cmd}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	select {
	case s.addr = <-proxyAddr(stdout):
	case <-time.After(90 * time.Second):
		s.cmd.Process.Kill()
		s.cmd.Wait()
		t.Fatalf("telltale.exe serve did not start:\n%s", stderr.String())
	}
	return s
}

// kill ends serve with SIGKILL: the Windows process is the Wine process.
func (s *wineServe) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()
}

// writeWineConfig writes serve's config for the simulated LAS: loopback
// ports chosen by the system, the data dir and the LAS's CA beside it.
func writeWineConfig(t *testing.T, las *testbed.LAS) (cfg, data string) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	ca := filepath.Join(dir, "las-ca.pem")
	if err := os.WriteFile(ca, las.CAPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	var resolve []string
	for hostPort, addr := range las.Resolve() {
		resolve = append(resolve, fmt.Sprintf("%q: %q", hostPort, addr))
	}
	// Single-quoted YAML: a Windows path's backslashes stay as they are.
	text := fmt.Sprintf(`listen: 127.0.0.1:0
data_dir: '%s'
admin:
  listen: 127.0.0.1:0
upstream:
  ca_file: '%s'
  resolve: {%s}
  allow_local: [%q]
log:
  level: warn
`, wine.Path(data), wine.Path(ca), strings.Join(resolve, ", "), las.Addr())
	cfg = filepath.Join(dir, "telltale.yaml")
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, data
}

// wineCA is telltale.exe's CA, as `ca export` prints it.
func wineCA(t *testing.T, exe, data string) *x509.CertPool {
	t.Helper()
	pemOut := mustWinCLI(t, exe, "ca", "export", "--data", wine.Path(data))
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(pemOut)) {
		t.Fatalf("ca export printed no PEM: %q", pemOut)
	}
	return pool
}

func wineProxyClient(addr string, roots *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		Proxy:           http.ProxyURL(&url.URL{Scheme: "http", Host: addr}),
		TLSClientConfig: &tls.Config{RootCAs: roots},
	}}
}

// uploadThrough posts size random bytes as a usage upload and returns
// them; the upload must be forwarded (not a 502).
func uploadThrough(t *testing.T, c *http.Client, size int) []byte {
	t.Helper()
	body := make([]byte, size)
	rand.Read(body)
	resp, err := c.Post("https://cis.citrix.com/api/upload/LicenseServer.OnPremUsage", "application/zip", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%d-byte upload through telltale.exe: %v", size, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusBadGateway || resp.Header.Get("X-Telltale-Error") != "" {
		t.Fatalf("%d-byte upload through telltale.exe: %s", size, resp.Status)
	}
	return body
}

// describes reports whether ref is a request record's description of body:
// whole, or, past the capture limit, the SHA-256 of the prefix it kept.
// (The whole body's hash of a truncated request is in its response record,
// which is appended after the client has its answer, so a kill -9 right
// after may lose it: the request record, made before forwarding, cannot.)
func describes(ref store.BodyRef, body []byte) bool {
	if !ref.Truncated {
		sum := sha256.Sum256(body)
		return ref.Size == int64(len(body)) && ref.SHA256 == hex.EncodeToString(sum[:])
	}
	if ref.StoredSize <= 0 || ref.StoredSize > int64(len(body)) {
		return false
	}
	sum := sha256.Sum256(body[:ref.StoredSize])
	return ref.StoredSHA256 == hex.EncodeToString(sum[:])
}

// storedRequests returns the store's request records, read by the Linux
// build from the data dir telltale.exe wrote.
func storedRequests(t *testing.T, data string) []*store.Record {
	t.Helper()
	st, err := store.Open(data, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open the store telltale.exe wrote: %v", err)
	}
	defer st.Close()
	var reqs []*store.Record
	err = st.Records(1, func(r *store.Record) error {
		if r.Kind == store.KindRequest {
			reqs = append(reqs, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}
