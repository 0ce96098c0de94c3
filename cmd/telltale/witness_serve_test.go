package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/internal/litewitness"
	"github.com/telltale/telltale/server"
)

// loopbackAllowed adds the receivers at urls to the allow_local line of a
// config that writeConfig wrote: they listen on loopback.
func loopbackAllowed(t *testing.T, cfg string, urls ...string) {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var q []string
	for _, u := range urls {
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		q = append(q, fmt.Sprintf("%q", p.Host))
	}
	s := strings.Replace(string(b), "  allow_local: [", "  allow_local: ["+strings.Join(q, ", ")+", ", 1)
	if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitVerify runs verify until its output holds want, for up to 15s.
func waitVerify(t *testing.T, want string, args ...string) string {
	t.Helper()
	var out, errOut string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out, errOut, _ = cli(t, append([]string{"verify"}, args...)...)
		if strings.Contains(out, want) {
			return out
		}
	}
	t.Fatalf("verify %v never said %q; last:\n%s%s", args, want, out, errOut)
	return ""
}

// TestServe_DebouncedCheckpoint_StampedAndCosignedByLitewitness: with
// checkpoint_interval 1h, serve signs a checkpoint once captures settle
// (checkpoint_debounce), has it time-stamped and cosigned by a real
// litewitness on loopback at once; verify --witness counts the witness,
// for the store and a bundle. Then the key holder forks the log (the same
// key, another history): the witness refuses it, serve alerts, and
// verify fails both the store and the bundle.
func TestServe_DebouncedCheckpoint_StampedAndCosignedByLitewitness(t *testing.T) {
	v := newVendor(t)
	tsa, tsaCA := newTestTSA(t)
	hook := newWebhook(t)
	dir := t.TempDir()
	// The log key exists before serve starts, so that the witness can be
	// told it (an operator copies DATA/ca/log.pub to the witness).
	_, logKey, _, err := certs.OpenSigner(filepath.Join(dir, "ca"), server.LogKeyName())
	if err != nil {
		t.Fatal(err)
	}
	w := litewitness.Start(t, logKey)
	extra := fmt.Sprintf("evidence:\n  checkpoint_interval: 1h\n  checkpoint_debounce: 200ms\n  tsa_url: %s\n  tsa_ca_file: %s\n"+
		"  witnesses:\n    - url: %s\n      key: %s\nalerts:\n  webhook: %s\n", tsa.URL(), tsaCA, w.URL, w.Key, hook.URL)
	cfg, data := writeConfig(t, v, extra)
	loopbackAllowed(t, cfg, tsa.URL(), w.URL, hook.URL)
	copyCA(t, filepath.Join(dir, "ca"), filepath.Join(data, "ca"))

	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	post(t, c, "https://las.cloud.com/ccid/upload", "a", `{"n":1}`)
	post(t, c, "https://las.cloud.com/ccid/upload", "b", `{"n":2}`)
	waitComplete(t, 2, "--data", data)
	// Nothing but the debounce signs within the hour.
	out := waitVerify(t, "the latest covers 5 records", "--data", data, "--witness", w.Key, "--tsa-ca", tsaCA)
	for _, want := range []string{"proven no later than", "TSA trusted",
		"(tree size 5): 1 of 1 independent witnesses you named vouch for it (" + w.Name + ")"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify --data --witness: lacks %q:\n%s", want, out)
		}
	}
	stop()

	page := filepath.Join(t.TempDir(), "report.html")
	if _, errOut, code := cli(t, "report", "--data", data, "-o", page); code != 0 {
		t.Fatalf("report: exit %d %s", code, errOut)
	}
	if html, _ := os.ReadFile(page); !strings.Contains(string(html), "time-stamped: proven no later than ") {
		t.Error("report.html does not say what the checkpoint's timestamp proves")
	}

	bundle := filepath.Join(t.TempDir(), "b.zip")
	if _, errOut, code := cli(t, "export", "-o", bundle, "--data", data); code != 0 {
		t.Fatalf("export: exit %d %s", code, errOut)
	}
	out, errOut, code := cli(t, "verify", bundle, "--key", logKey, "--witness", w.Key, "--tsa-ca", tsaCA)
	if code != 0 || !strings.Contains(out, "1 of 1 independent witnesses you named vouch for it ("+w.Name+")") ||
		!strings.Contains(out, "cosignatures/") {
		t.Errorf("verify bundle --witness: exit %d\n%s%s", code, out, errOut)
	}

	// The fork: a new data dir under the same key, with another history
	// longer than what the witness cosigned.
	cfg2, data2 := writeConfig(t, v, extra)
	loopbackAllowed(t, cfg2, tsa.URL(), w.URL, hook.URL)
	copyCA(t, filepath.Join(dir, "ca"), filepath.Join(data2, "ca"))
	addr2, stop2 := startServeStop(t, "-c", cfg2)
	c2 := proxyClient(t, addr2, data2)
	for i := range 3 {
		post(t, c2, "https://las.cloud.com/ccid/upload", fmt.Sprint("f", i), fmt.Sprintf(`{"forged":%d}`, i))
	}
	waitComplete(t, 3, "--data", data2)
	alert := hook.wait(t, "anchor_failed")
	if detail := fmt.Sprint(alert["detail"]); alert["severity"] != "critical" || !strings.Contains(detail, "FORKED") ||
		!strings.Contains(detail, w.Name) {
		t.Errorf("alert: %v; want a critical one saying the witness refused a fork", alert)
	}
	stop2()
	// By hand, the same: telltale checkpoint fails on the refusal.
	if _, errOut, code := cli(t, "checkpoint", "--data", data2, "-c", cfg2); code != 1 || !strings.Contains(errOut, "FORKED") {
		t.Errorf("checkpoint on the forked log: exit %d, want 1 saying FORKED:\n%s", code, errOut)
	}
	out, _, code = cli(t, "verify", "--data", data2, "--witness", w.Key)
	if code != 1 || !strings.Contains(out, "FAIL checkpoint 1: witness "+w.Name) || !strings.Contains(out, "refused it at") ||
		!strings.Contains(out, "no witness you named (--witness "+w.Name+") cosigned any checkpoint of this log") {
		t.Errorf("verify of the forked store: exit %d\n%s", code, out)
	}
	forked := filepath.Join(t.TempDir(), "forked.zip")
	if _, errOut, code := cli(t, "export", "-o", forked, "--data", data2); code != 0 {
		t.Fatalf("export: exit %d %s", code, errOut)
	}
	if out, _, code := cli(t, "verify", forked, "--key", logKey, "--witness", w.Key); code != 1 ||
		!strings.Contains(out, "no witness you named (--witness "+w.Name+") cosigned any checkpoint of this bundle") {
		t.Errorf("verify of the forked bundle: exit %d\n%s", code, out)
	}
}

// copyCA copies the log key files into a data dir's ca folder.
func copyCA(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"log.key", "log.pub"} {
		b, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
