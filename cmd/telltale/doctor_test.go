package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/telltale/telltale/store"
)

// doctorLines runs doctor and returns its lines by check name.
func doctorLines(t *testing.T, args ...string) (lines []string, code int) {
	t.Helper()
	out, errOut, code := cli(t, append([]string{"doctor", "--timeout", "3s"}, args...)...)
	if code == 1 && !strings.Contains(errOut, "some checks failed") {
		t.Errorf("doctor exit 1 without saying why: %q", errOut)
	}
	return strings.Split(strings.TrimRight(out, "\n"), "\n"), code
}

// wantLine checks that some line has status and check and matches re.
func wantLine(t *testing.T, lines []string, status, check, re string) {
	t.Helper()
	pat := regexp.MustCompile(`^` + status + `\s+` + check + `\s+.*` + re)
	for _, l := range lines {
		if pat.MatchString(l) {
			return
		}
	}
	t.Errorf("no line %q %q matching %q in:\n%s", status, check, re, strings.Join(lines, "\n"))
}

func TestCLI_Doctor_LocalUpstreamAllOK(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	_, stop := startServeStop(t, "-c", cfg) // makes the CA and the store
	stop()
	lines, code := doctorLines(t, "-c", cfg)
	if code != 0 {
		t.Errorf("doctor: exit %d, want 0 (warnings only)", code)
	}
	wantLine(t, lines, "ok", "config", "is valid; data dir "+regexp.QuoteMeta(data))
	wantLine(t, lines, "ok", "ports", "listen 127.0.0.1:0 is free")
	wantLine(t, lines, "ok", "ports", "admin.listen 127.0.0.1:0 is free")
	wantLine(t, lines, "ok", "ca", "valid until")
	wantLine(t, lines, "ok", "clock", "UTC")
	wantLine(t, lines, "ok", "store", "opens; no captures yet")
	wantLine(t, lines, "ok", "disk", "free")
	wantLine(t, lines, "ok", "upstream", `las.cloud.com via upstream.resolve 127.0.0.1:\d+: TLS 1.3, certificate issued by "vendor CA"`)
	wantLine(t, lines, "ok", "upstream", `cis.citrix.com via upstream.resolve`)
	wantLine(t, lines, "warn", "trust", "does not trust the Telltale CA.*certutil -addstore Root")
	wantLine(t, lines, "warn", "alerts", "no alerts.webhook")
	for _, l := range lines {
		if strings.HasPrefix(l, "fail") {
			t.Errorf("unexpected fail: %s", l)
		}
	}
}

func TestCLI_Doctor_WhileServing(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	fixed := closedAddr(t)
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(b, []byte("listen: 127.0.0.1:0\n"), []byte("listen: "+fixed+"\n"), 1), 0o644)
	addr := startServe(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/x", "a", "{}")
	hook := newWebhook(t)
	b, _ = os.ReadFile(cfg)
	os.WriteFile(cfg, append(b, []byte("alerts:\n  webhook: "+hook.URL+"/telltale\n")...), 0o644)

	lines, code := doctorLines(t, "-c", cfg, "--alert")
	if code != 0 {
		t.Errorf("doctor while serving: exit %d\n%s", code, strings.Join(lines, "\n"))
	}
	wantLine(t, lines, "ok", "ports", "listen "+regexp.QuoteMeta(fixed)+` is held by the running telltale serve \(pid \d+\)`)
	wantLine(t, lines, "ok", "store", `held by the running telltale serve \(pid \d+\), which reports ready`)
	wantLine(t, lines, "ok", "alerts", "test alert accepted by 127.0.0.1")
	if a := hook.wait(t, "test"); !strings.Contains(a["summary"].(string), "telltale doctor") {
		t.Errorf("test alert: got %v", a)
	}
}

func TestCLI_Doctor_FailsWithoutCA(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	lines, code := doctorLines(t, "-c", cfg)
	if code != 1 {
		t.Errorf("doctor with no CA: exit %d, want 1", code)
	}
	wantLine(t, lines, "fail", "ca", "no interception CA in .*"+regexp.QuoteMeta(filepath.Join(filepath.Base(data), "ca"))+".*telltale serve")
	wantLine(t, lines, "warn", "store", "no store in .* yet")
}

func TestCLI_Doctor_FailsOnBadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte("listen: nowhere\n"), 0o644)
	lines, code := doctorLines(t, "-c", path)
	if code != 1 || len(lines) != 1 {
		t.Errorf("doctor with a bad config: exit %d, %d lines, want 1 and only the config line", code, len(lines))
	}
	wantLine(t, lines, "fail", "config", `listen: "nowhere" is not host:port`)
	if _, code := doctorLines(t, "-c", filepath.Join(t.TempDir(), "missing.yaml")); code != 1 {
		t.Errorf("doctor with a missing config: exit %d, want 1", code)
	}
}

func TestCLI_Doctor_NetworkPathClosedAndBusyPort(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	_, stop := startServeStop(t, "-c", cfg)
	stop()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dead := closedAddr(t)
	b, _ := os.ReadFile(cfg)
	s := regexp.MustCompile(`resolve: \{.*\}`).ReplaceAllString(string(b), `resolve: {"las.cloud.com:443": "`+dead+`", "cis.citrix.com:443": "`+dead+`"}`)
	s = strings.Replace(s, "listen: 127.0.0.1:0\n", "listen: "+busy.Addr().String()+"\n", 1)
	s = strings.Replace(s, "allow_local: [", "allow_local: [\""+dead+"\", ", 1)
	os.WriteFile(cfg, []byte(s), 0o644)
	lines, code := doctorLines(t, "-c", cfg, "--data", data)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, lines, "fail", "ports", "listen "+regexp.QuoteMeta(busy.Addr().String())+" cannot be used")
	wantLine(t, lines, "warn", "upstream", "las.cloud.com via upstream.resolve .*: cannot connect: refused")
	wantLine(t, lines, "fail", "upstream", "network path closed: none of the 2 intercepted hosts is reachable directly")
}

func TestCLI_Doctor_UntrustedUpstreamTLS(t *testing.T) {
	v := newVendor(t)
	cfg, _ := writeConfig(t, v, "")
	_, stop := startServeStop(t, "-c", cfg)
	stop()
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, regexp.MustCompile(`ca_file: \S+`).ReplaceAll(b, []byte(`ca_file: ""`)), 0o644)
	lines, _ := doctorLines(t, "-c", cfg)
	wantLine(t, lines, "warn", "upstream", "las.cloud.com .*TLS failed: .*certificate.*502")
}

func TestCLI_Doctor_FailsOnTamperedStoreLowDiskAndDeadWebhook(t *testing.T) {
	v := newVendor(t)
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
	defer dead.Close()
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/x", "a", `{"k":"v"}`)
	waitComplete(t, 1, "--data", data)
	stop()
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(b, "alerts:\n  webhook: "+dead.URL+"\n  min_free_bytes: 1000TB\n"...), 0o644)

	// Edit one byte of the newest capture record, as someone covering tracks would.
	db, err := bolt.Open(filepath.Join(data, store.DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("records"))
		c := b.Cursor()
		c.Last()
		k, v := c.Prev() // the response; the last is the checkpoint's index record
		return b.Put(k, bytes.Replace(v, []byte(`"status":200`), []byte(`"status":201`), 1))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	lines, code := doctorLines(t, "-c", cfg, "--alert")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, lines, "fail", "store", `the log does not check: record 2 \(capture 1\) does not match its leaf hash.*telltale verify`)
	wantLine(t, lines, "warn", "disk", "below alerts.min_free_bytes")
	wantLine(t, lines, "fail", "alerts", "the test alert did not reach 127.0.0.1.*500 Internal Server Error")
}
