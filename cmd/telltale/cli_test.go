package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/telltale/telltale/server"
)

func TestCLI_ServeListShow_WhileServing(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr := startServe(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	body := `{"ver":"1.0","platform":"x"}`
	post(t, c, "https://las.cloud.com/ccid/netscalerfixedbw/customerentitlements", "a", body)
	// The response record is appended after the client has its answer:
	// wait for it, so that the ids skip it (checkNumbers).
	waitComplete(t, 1, "--data", data)
	post(t, c, "https://cis.citrix.com/upload", "b", `{"x":1}`)

	// serve holds the store: list and show go through the admin API.
	items := waitComplete(t, 2, "--data", data)
	if len(items) != 2 {
		t.Fatalf("got %d captures, want 2", len(items))
	}
	it := items[0]
	if it.Kind != "exchange" || it.Method != "POST" || it.Host != "las.cloud.com" || it.Status != 200 ||
		it.RequestBytes != int64(len(body)) || it.Error != "" || !strings.HasPrefix(it.Client, "127.0.0.1:") {
		t.Errorf("list item: got %+v", it)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$`).MatchString(it.Time) {
		t.Errorf("time %q: want RFC 3339 UTC with nanoseconds", it.Time)
	}
	if got := listJSON(t, "--data", data, "--host", "cis.citrix.com"); len(got) != 1 || got[0].ID != items[1].ID {
		t.Errorf("list --host: got %+v", got)
	}
	if got := listJSON(t, "--data", data, "--limit", "1"); len(got) != 1 || got[0].ID != items[1].ID {
		t.Errorf("list --limit 1: got %+v, want the newest", got)
	}
	out, errOut, code := cli(t, "show", "--id", string(it.ID), "--data", data, "--body", "request")
	if code != 0 || out != body {
		t.Errorf("show --body request: exit %d, got %q, want %q (%s)", code, out, body, errOut)
	}
	out, _, _ = cli(t, "show", "--id", string(it.ID), "--data", data, "--json")
	var full struct {
		listItem
		Request struct {
			Headers    []struct{ Name, Value string }
			BodySHA256 string `json:"body_sha256"`
			BodySize   int64  `json:"body_size"`
			Truncated  *bool
		}
		Response *struct {
			BodySize int64 `json:"body_size"`
		}
		TLS struct {
			LeafSHA256 string `json:"leaf_sha256"`
		}
	}
	if err := json.Unmarshal([]byte(out), &full); err != nil {
		t.Fatalf("show --json: %v\n%s", err, out)
	}
	if full.Request.BodySize != int64(len(body)) || full.Request.Truncated == nil || full.Response == nil || full.TLS.LeafSHA256 == "" {
		t.Errorf("show --json: got %s", out)
	}
	out, _, code = cli(t, "show", "--id", string(it.ID), "--data", data)
	if code != 0 || !strings.Contains(out, "X-Req-Id: a") || !strings.Contains(out, "Upstream TLS") {
		t.Errorf("show: got %s", out)
	}
	checkNumbers(t, data, items)
}

// checkNumbers checks that list prints capture numbers without gaps,
// and with --id beside the ids (which skip the response records), and
// that show opens a capture by its number, naming its id only with --id.
func checkNumbers(t *testing.T, data string, items []listItem) {
	t.Helper()
	out, _, _ := cli(t, "list", "--data", data)
	if strings.Contains(strings.SplitN(out, "\n", 2)[0], "ID") {
		t.Errorf("list without --id shows the ids:\n%s", out)
	}
	out, _, _ = cli(t, "list", "--id", "--data", data)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i, it := range items {
		if f := strings.Fields(lines[i+1]); len(f) < 2 || f[0] != fmt.Sprint(i+1) || f[1] != string(it.ID) {
			t.Errorf("list line %d: got %q, want number %d and id %s", i+1, lines[i+1], i+1, it.ID)
		}
	}
	if items[1].ID == numID("2") {
		t.Errorf("ids %s and %s do not skip: the test needs response records between captures", items[0].ID, items[1].ID)
	}
	out, errOut, code := cli(t, "show", "2", "--data", data)
	// The id as show --id names it ("id 3"), not any "3 " (a Date header's seconds).
	if code != 0 || !strings.HasPrefix(out, "Capture no. 2  ") || regexp.MustCompile(`\bid `+string(items[1].ID)+`\b`).MatchString(out) {
		t.Errorf("show 2: exit %d %q %q, want capture no. 2 without its id %s", code, out, errOut, items[1].ID)
	}
	for _, args := range [][]string{{"-n", "2"}, {"no.2"}, {"--id", string(items[1].ID)}} {
		out, errOut, code = cli(t, append([]string{"show", "--data", data}, args...)...)
		if code != 0 || !strings.HasPrefix(out, "Capture no. 2") {
			t.Errorf("show %v: exit %d %q %q, want capture no. 2", args, code, out, errOut)
		}
	}
	if out, _, _ := cli(t, "show", "--id", string(items[1].ID), "--data", data); !strings.HasPrefix(out, "Capture no. 2, id "+string(items[1].ID)+"  ") {
		t.Errorf("show --id: %q, want the number and the id", out)
	}
	if _, errOut, code := cli(t, "show", "99", "--data", data); code != 1 || !strings.Contains(errOut, "no capture no. 99") || !strings.Contains(errOut, "--id") {
		t.Errorf("show 99: exit %d %q", code, errOut)
	}
}

func TestCLI_ListShow_WithoutServer(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/x", "z", `{"k":"v"}`)
	waitComplete(t, 1, "--data", data)
	stop()
	if _, err := os.Stat(filepath.Join(data, server.AdminInfoFile)); !os.IsNotExist(err) {
		t.Errorf("%s still present after stop: %v", server.AdminInfoFile, err)
	}
	items := listJSON(t, "--data", data) // reads the file directly now
	if len(items) != 1 || !items[0].Complete || items[0].Status != 200 {
		t.Fatalf("list after stop: got %+v", items)
	}
	out, errOut, code := cli(t, "show", "--id", string(items[0].ID), "--data", data, "--body", "response")
	if code != 0 || out != `{"ok":true,"len":9}` {
		t.Errorf("show --body response after stop: exit %d %q %s", code, out, errOut)
	}
	if _, errOut, code := cli(t, "show", "--id", "999", "--data", data); code != 1 || !strings.Contains(errOut, "no capture") {
		t.Errorf("show unknown id: exit %d %q, want 1 and a clear message", code, errOut)
	}
	if out, _, _ := cli(t, "show", "1", "--data", data); !strings.HasPrefix(out, "Capture no. 1  ") {
		t.Errorf("show 1 from the store file: %q", out)
	}
}

func TestCLI_CAExport_DER(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	startServe(t, "-c", cfg)
	out := filepath.Join(t.TempDir(), "ca.cer")
	if _, errOut, code := cli(t, "ca", "export", "--der", "-o", out, "--data", data); code != 0 {
		t.Fatalf("ca export: %s", errOut)
	}
	der, _ := os.ReadFile(out)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("DER export does not parse: %v", err)
	}
	if !cert.IsCA || len(cert.PermittedDNSDomains) == 0 || !cert.PermittedDNSDomainsCritical {
		t.Errorf("CA: IsCA %v, permitted %v critical %v", cert.IsCA, cert.PermittedDNSDomains, cert.PermittedDNSDomainsCritical)
	}
	pemOut, _, _ := cli(t, "ca", "export", "--data", data)
	if bytes.Contains([]byte(pemOut), []byte("PRIVATE")) {
		t.Error("ca export printed key material")
	}
	info, err := os.Stat(filepath.Join(data, "ca", "ca-key.pem"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("CA key mode: got %v %v, want 0600", info.Mode().Perm(), err)
	}
	if info, err := os.Stat(filepath.Join(data, server.AdminTokenFile)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("admin token mode: got %v %v, want 0600", info.Mode().Perm(), err)
	}
}

func TestCLI_ExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := func(name, yaml string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(yaml), 0o644)
		return p
	}
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown key", []string{"serve", "-c", bad("a.yaml", "listen: 127.0.0.1:0\nlisten_typo: 1\n")}, 2, "listen_typo"},
		{"bad CIDR", []string{"serve", "-c", bad("b.yaml", "clients:\n  allow: [10.0.0.0/33]\n")}, 2, "clients.allow[0]"},
		{"bad pattern", []string{"serve", "-c", bad("c.yaml", "intercept:\n  hosts: [\"a.*.com\"]\n")}, 2, "intercept.hosts[0]"},
		{"missing file", []string{"serve", "-c", filepath.Join(dir, "nope.yaml")}, 2, "nope.yaml"},
		{"unreadable ca_file", []string{"serve", "--data", filepath.Join(dir, "d1"), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "-c", bad("d.yaml", "upstream:\n  ca_file: /nonexistent.pem\n")}, 2, "upstream.ca_file"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"unknown flag", []string{"list", "--frob"}, 2, "unknown flag"},
		{"show needs an id", []string{"show"}, 2, "arg"},
		{"bad --since", []string{"list", "--since", "yesterday"}, 2, "RFC 3339"},
		{"no store", []string{"list", "--data", filepath.Join(dir, "empty")}, 2, "no Telltale store"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := cli(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Errorf("exit %d %q, want %d mentioning %q", code, errOut, tc.code, tc.msg)
			}
		})
	}
}

func TestCLI_NewInterceptHostOutsideCA_RefusesToStart(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	_, stop := startServeStop(t, "-c", cfg) // creates the CA
	stop()
	// Copy the CA into a fresh data dir that a new config points at.
	data2 := filepath.Join(t.TempDir(), "data2")
	os.MkdirAll(filepath.Join(data2, "ca"), 0o700)
	for _, f := range []string{"ca.pem", "ca-key.pem"} {
		b, _ := os.ReadFile(filepath.Join(data, "ca", f))
		os.WriteFile(filepath.Join(data2, "ca", f), b, 0o600)
	}
	cfg2 := filepath.Join(t.TempDir(), "more.yaml")
	os.WriteFile(cfg2, []byte("listen: 127.0.0.1:0\nadmin:\n  listen: 127.0.0.1:0\nintercept:\n  hosts: [las.cloud.com, telemetry.vendor.example]\n"), 0o644)
	_, errOut, code := cli(t, "serve", "-c", cfg2, "--data", data2)
	if code != 2 || !strings.Contains(errOut, "telemetry.vendor.example") || !strings.Contains(errOut, "ca rotate") {
		t.Fatalf("exit %d %q: want 2 naming the host and `ca rotate`", code, errOut)
	}
	out, errOut, code := cli(t, "ca", "rotate", "-c", cfg2, "--data", data2)
	if code != 0 || !strings.Contains(out, "BEGIN CERTIFICATE") {
		t.Fatalf("ca rotate: exit %d %s %s", code, out, errOut)
	}
	retired, _ := filepath.Glob(filepath.Join(data2, "ca", "retired", "*", "ca.pem"))
	if len(retired) != 1 {
		t.Errorf("retired CAs: got %v, want one", retired)
	}
	startServe(t, "-c", cfg2, "--data", data2) // fails the test if it cannot start
}
