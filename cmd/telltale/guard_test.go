package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/server"
)

// connectThrough sends a CONNECT for target to the proxy at proxyAddr and
// returns the answer's status and body.
func connectThrough(t *testing.T, proxyAddr, target string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", proxyAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	r, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatalf("CONNECT %s: %v", target, err)
	}
	if r.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	return r.StatusCode, ""
}

// TestCLI_Serve_RefusesItsOwnHost: `others: tunnel` must not reach the
// proxy host's loopback services or its own admin API; upstream.allow_local
// names the one local upstream the test uses.
func TestCLI_Serve_RefusesItsOwnHost(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr := startServe(t, "-c", cfg)
	info, ok := server.ReadAdminInfo(data)
	if !ok {
		t.Fatal("no admin.json")
	}
	_, adminPort, _ := net.SplitHostPort(info.Addr)
	for _, target := range []string{info.Addr, "localhost:" + adminPort, addr, closedAddr(t), "169.254.169.254:80"} {
		if code, body := connectThrough(t, addr, target); code != http.StatusForbidden || !strings.Contains(body, "refused") {
			t.Errorf("CONNECT %s: got %d %q, want 403 saying why", target, code, body)
		}
	}
	if code, body := connectThrough(t, addr, v.Listener.Addr().String()); code != http.StatusOK {
		t.Errorf("CONNECT to the upstream named in upstream.allow_local: got %d %q, want 200", code, body)
	}
	denied := 0
	for _, it := range listJSON(t, "--data", data) {
		if it.Kind == "denied" && strings.Contains(it.Error, "refused") {
			denied++
		}
	}
	if denied != 5 {
		t.Errorf("got %d denied captures, want 5", denied)
	}
}

// TestCLI_Serve_AdminPortRefusedEvenWhenNamed: the admin API's port stays
// out of reach even when upstream.allow_local names it.
func TestCLI_Serve_AdminPortRefusedEvenWhenNamed(t *testing.T) {
	v := newVendor(t)
	admin := closedAddr(t)
	cfg, _ := writeConfig(t, v, "")
	b, _ := os.ReadFile(cfg)
	b = []byte(strings.Replace(string(b), "admin:\n  listen: 127.0.0.1:0", "admin:\n  listen: "+admin, 1))
	b = []byte(strings.Replace(string(b), "allow_local: [", fmt.Sprintf("allow_local: [%q, ", admin), 1))
	os.WriteFile(cfg, b, 0o644)
	addr := startServe(t, "-c", cfg)
	if code, body := connectThrough(t, addr, admin); code != http.StatusForbidden || !strings.Contains(body, "own host and port") {
		t.Errorf("CONNECT to the admin API: got %d %q, want 403", code, body)
	}
}

// TestCLI_ExposedProxy_Warns: a proxy listening beyond loopback with
// clients.allow 0.0.0.0/0 is an open proxy: serve logs a warning and
// doctor prints a warn line.
func TestCLI_ExposedProxy_Warns(t *testing.T) {
	v := newVendor(t)
	cfg, _ := writeConfig(t, v, "clients:\n  allow: [127.0.0.0/8, 0.0.0.0/0]\n")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "listen: 127.0.0.1:0\n", "listen: 0.0.0.0:0\n", 1)), 0o644)
	_, stop := serveLogged(t, cfg)
	if logs := strings.Join(stop(), "\n"); !strings.Contains(logs, `"level":"warn"`) || !strings.Contains(logs, "clients.allow contains 0.0.0.0/0") {
		t.Errorf("serve log: no warning about clients.allow:\n%s", logs)
	}
	lines, _ := doctorLines(t, "-c", cfg)
	wantLine(t, lines, "warn", "clients", `clients.allow contains 0\.0\.0\.0/0 and the proxy listens on 0\.0\.0\.0:0`)

	safe, _ := writeConfig(t, v, "")
	lines, _ = doctorLines(t, "-c", safe)
	wantLine(t, lines, "ok", "clients", "clients.allow: 127.0.0.0/8")
}

// TestCLI_SecondServe_LeavesTheFirstsAdminJSON: a second serve on the same
// data dir fails (the store is locked) and must not delete the running
// serve's admin.json, which the CLI needs to reach it.
func TestCLI_SecondServe_LeavesTheFirstsAdminJSON(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr := startServe(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/x", "a", "{}")
	before, err := os.ReadFile(filepath.Join(data, server.AdminInfoFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := cli(t, "serve", "-c", cfg); code == 0 || !strings.Contains(errOut, "another `telltale serve`") {
		t.Fatalf("second serve: exit %d %q, want a failure naming the running serve", code, errOut)
	}
	after, err := os.ReadFile(filepath.Join(data, server.AdminInfoFile))
	if err != nil || string(after) != string(before) {
		t.Fatalf("admin.json after the failed second serve: %q %v, want it unchanged", after, err)
	}
	if items := waitComplete(t, 1, "--data", data); len(items) != 1 {
		t.Errorf("list through the running serve: got %+v", items)
	}
}

// TestCLI_Serve_BadConfig_Exit2NamingTheKey: values that used to be
// accepted (and fail later, or never work) stop serve with exit 2.
func TestCLI_Serve_BadConfig_Exit2NamingTheKey(t *testing.T) {
	for key, yaml := range map[string]string{
		"intercept.hosts[0]":   "intercept:\n  hosts: [\"*.com\"]\n",
		"upstream.no_proxy[0]": "upstream:\n  no_proxy: [\"[[[\"]\n",
		"log.max_files":        "log:\n  max_files: -1\n",
		"inspect.volatile[0]":  "inspect:\n  volatile: [\"$.a[\"]\n",
	} {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "bad.yaml")
		os.WriteFile(cfg, []byte("data_dir: "+filepath.Join(dir, "data")+"\nlisten: 127.0.0.1:0\nadmin:\n  listen: 127.0.0.1:0\n"+yaml), 0o644)
		// A serve that accepts the file would run: stop it after a while.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var errb bytes.Buffer
		code := run(ctx, []string{"serve", "-c", cfg}, io.Discard, &errb)
		cancel()
		if errOut := errb.String(); code != 2 || !strings.Contains(errOut, key+":") {
			t.Errorf("serve -c with %q: exit %d %q, want 2 naming %s", yaml, code, errOut, key)
		}
		if _, err := os.Stat(filepath.Join(dir, "data", "ca")); err == nil {
			t.Errorf("%s: serve made a CA before refusing the configuration", key)
		}
	}
}

// TestCLI_Doctor_LocalUpstreamNotAllowed: doctor refuses what serve would,
// an upstream.resolve target on loopback that upstream.allow_local does
// not name, and says which key allows it.
func TestCLI_Doctor_LocalUpstreamNotAllowed(t *testing.T) {
	v := newVendor(t)
	cfg, _ := writeConfig(t, v, "")
	b, _ := os.ReadFile(cfg)
	s := regexp.MustCompile(`allow_local: \[.*\]`).ReplaceAllString(string(b), "allow_local: []")
	os.WriteFile(cfg, []byte(s), 0o644)
	lines, _ := doctorLines(t, "-c", cfg)
	wantLine(t, lines, "warn", "upstream", `las.cloud.com via upstream.resolve 127\.0\.0\.1:\d+: cannot connect: serve refuses it: .*loopback.*upstream\.allow_local`)
}

// TestServe_Reload_AllowLocalIsLive: a reload applies upstream.allow_local
// to new connections and does not call it a restart.
func TestServe_Reload_AllowLocalIsLive(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr := startServe(t, "-c", cfg)
	local := newVendor(t) // another service on this host's loopback
	target := local.Listener.Addr().String()
	if code, _ := connectThrough(t, addr, target); code != http.StatusForbidden {
		t.Fatalf("before the reload: got %d, want 403", code)
	}
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "allow_local: [", fmt.Sprintf("allow_local: [%q, ", target), 1)), 0o644)
	base, hc, token := adminAPI(t, data)
	code, body := adminDo(t, hc, "POST", base+"/-/reload", token)
	var res server.ReloadResult
	if err := json.Unmarshal([]byte(body), &res); code != http.StatusOK || err != nil ||
		strings.Join(res.Applied, ",") != "upstream.allow_local" || len(res.RestartNeeded) != 0 {
		t.Fatalf("/-/reload: got %d %s, want upstream.allow_local applied, no restart", code, body)
	}
	if code, body := connectThrough(t, addr, target); code != http.StatusOK {
		t.Errorf("after the reload: got %d %q, want 200", code, body)
	}
}
