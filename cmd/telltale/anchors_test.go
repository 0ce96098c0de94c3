package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/testbed"
)

// witness is a test witness: it keeps every checkpoint posted to it, or
// refuses with 503 while down.
type witness struct {
	*httptest.Server
	mu    sync.Mutex
	posts []evidence.WitnessPost
	down  bool
}

func newWitness(t *testing.T) *witness {
	w := &witness{}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		defer w.mu.Unlock()
		var p evidence.WitnessPost
		if w.down || json.NewDecoder(r.Body).Decode(&p) != nil {
			http.Error(rw, "witness down", http.StatusServiceUnavailable)
			return
		}
		w.posts = append(w.posts, p)
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *witness) received() []evidence.WitnessPost {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]evidence.WitnessPost(nil), w.posts...)
}

func (w *witness) setDown(down bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.down = down
}

// newTestTSA starts the testbed's TSA and writes its root to a file.
func newTestTSA(t *testing.T) (*testbed.TSA, string) {
	tsa, err := testbed.NewTSA(testbed.TSAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tsa.Start()
	t.Cleanup(func() { tsa.Close() })
	ca := filepath.Join(t.TempDir(), "tsa-ca.pem")
	os.WriteFile(ca, tsa.RootPEM(), 0o644)
	return tsa, ca
}

// TestServe_Anchors_TSADownThenRetriedAndWitnessed: with the TSA down,
// serve still captures and signs, warns, counts and alerts; the next
// checkpoint stamps both; each checkpoint reaches the witness; verify
// and a bundle's verify check the timestamps, trusted with --tsa-ca.
func TestServe_Anchors_TSADownThenRetriedAndWitnessed(t *testing.T) {
	v := newVendor(t)
	tsa, tsaCA := newTestTSA(t)
	w, hook := newWitness(t), newWebhook(t)
	tsa.SetDown(true)
	cfg, data := writeOpsConfig(t, v, fmt.Sprintf("evidence:\n  checkpoint_interval: 1h\n  tsa_url: %s\n  tsa_ca_file: %s\n"+
		"  witness_url: %s\nalerts:\n  webhook: %s\n", tsa.URL(), tsaCA, w.URL, hook.URL))
	allowLocal(t, cfg, tsa.URL(), w.URL, hook.URL)
	addr, stop := serveLogged(t, cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/a", "a", `{"n":1}`)
	waitComplete(t, 1, "--data", data)
	if out, errOut, code := cli(t, "checkpoint", "--data", data); code != 0 || !strings.Contains(out, "\n3\n") { // and the index record
		t.Fatalf("checkpoint with the TSA down: exit %d %q %s; want it signed", code, out, errOut)
	}
	if a := hook.wait(t, "anchor_failed"); !strings.Contains(fmt.Sprint(a["detail"]), "503") {
		t.Errorf("anchor_failed alert: got %v, want the TSA's 503", a)
	}
	base, hc, token := adminAPI(t, data)
	_, metrics := adminDo(t, hc, "GET", base+"/metrics", token)
	if n := metricValue(t, metrics, `telltale_anchor_failures_total{kind="rfc3161"}`); n < 1 {
		t.Errorf("anchor failures: got %v, want at least 1", n)
	}
	tsa.SetDown(false)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/b", "b", `{"n":2}`)
	waitComplete(t, 2, "--data", data)
	if _, errOut, code := cli(t, "checkpoint", "--data", data); code != 0 {
		t.Fatalf("checkpoint with the TSA up: exit %d %s", code, errOut)
	}
	lines := stop()
	if !strings.Contains(strings.Join(lines, "\n"), "could not anchor a checkpoint outside this machine") {
		t.Errorf("no warn line about the TSA in serve's log:\n%s", strings.Join(lines, "\n"))
	}
	if got := tsa.Granted(); got != 2 {
		t.Errorf("TSA granted %d timestamps, want 2 (both checkpoints, the first on retry)", got)
	}
	posts := w.received()
	if len(posts) != 2 || posts[1].Checkpoint != 2 || posts[1].Timestamp == nil {
		t.Errorf("witness got %d posts (%+v), want checkpoints 1 and 2, the second with its timestamp", len(posts), posts)
	}

	out, errOut, code := cli(t, "verify", "--data", data, "--tsa-ca", tsaCA)
	if code != 0 || !strings.Contains(out, "timestamps  2 of 2 checkpoints") || !strings.Contains(out, "TSA trusted") {
		t.Errorf("verify --tsa-ca: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = cli(t, "verify", "--data", data)
	if code != 0 || !strings.Contains(out, "timestamp present, TSA not trusted (pass --tsa-ca)") {
		t.Errorf("verify without --tsa-ca: exit %d\n%s", code, out)
	}
	bundle := filepath.Join(t.TempDir(), "b.zip")
	if _, errOut, code := cli(t, "export", "-o", bundle, "--data", data); code != 0 {
		t.Fatalf("export: exit %d %s", code, errOut)
	}
	out, errOut, code = cli(t, "verify", bundle, "--key", filepath.Join(data, "ca", "log.pub"), "--tsa-ca", tsaCA)
	if code != 0 || !strings.Contains(out, "anchors     2 RFC 3161 timestamps; timestamps/2.tsr: checkpoint 2") ||
		!strings.Contains(out, "TSA trusted") {
		t.Errorf("verify bundle --tsa-ca: exit %d\n%s%s", code, out, errOut)
	}
	other, _ := newTestTSA(t)
	otherCA := filepath.Join(t.TempDir(), "other.pem")
	os.WriteFile(otherCA, other.RootPEM(), 0o644)
	if out, _, code := cli(t, "verify", bundle, "--key", filepath.Join(data, "ca", "log.pub"), "--tsa-ca", otherCA); code != 1 || !strings.Contains(out, "TSA is not trusted") {
		t.Errorf("verify bundle with another TSA's root: exit %d\n%s", code, out)
	}
}

// TestCLI_CheckpointSend: --send posts each checkpoint not yet sent, with
// or without serve running, fails when the witness refuses, and needs
// evidence.witness_url.
func TestCLI_CheckpointSend(t *testing.T) {
	v := newVendor(t)
	w := newWitness(t)
	cfg, data := writeOpsConfig(t, v, "evidence:\n  checkpoint_interval: 1h\n")
	addr, stop := startServeStop(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/a", "a", `{"n":1}`)
	waitComplete(t, 1, "--data", data)
	if _, errOut, code := cli(t, "checkpoint", "--data", data, "--send", "-c", cfg); code != 2 || !strings.Contains(errOut, "witness_url") {
		t.Errorf("--send without witness_url: exit %d %s, want 2", code, errOut)
	}
	sendCfg := filepath.Join(t.TempDir(), "send.yaml")
	os.WriteFile(sendCfg, []byte("evidence:\n  witness_url: "+w.URL+"\n"+allowLocalYAML(w.URL)), 0o644)
	out, errOut, code := cli(t, "checkpoint", "--data", data, "--send", "-c", sendCfg)
	if code != 0 || !strings.Contains(errOut, "checkpoint 1 sent to "+strings.TrimPrefix(w.URL, "http://")) {
		t.Errorf("--send while serve runs: exit %d %s", code, errOut)
	}
	if posts := w.received(); len(posts) != 1 || posts[0].Note != out {
		t.Fatalf("witness: got %+v, want the printed checkpoint", posts)
	}
	stop()

	w.setDown(true)
	if _, errOut, code := cli(t, "checkpoint", "--data", data, "--send", "-c", sendCfg); code != 1 || !strings.Contains(errOut, "503") {
		t.Errorf("--send to a refusing witness: exit %d %s, want 1 with the 503", code, errOut)
	}
	w.setDown(false)
	if _, errOut, code := cli(t, "checkpoint", "--data", data, "--send", "-c", sendCfg); code != 0 || !strings.Contains(errOut, "sent to") {
		t.Errorf("--send retried: exit %d %s", code, errOut)
	}
	if _, errOut, code := cli(t, "checkpoint", "--data", data, "--send", "-c", sendCfg); code != 0 {
		t.Errorf("--send again: exit %d %s", code, errOut)
	}
	// Once while serve ran (from a snapshot, which keeps no receipt), once
	// from the store, which keeps one: the last --send had nothing to send.
	if posts := w.received(); len(posts) != 2 {
		t.Errorf("witness: got %d posts, want 2", len(posts))
	}
}

// TestCLI_Checkpoint_TimestampsWithoutServe: `telltale checkpoint -c`
// with evidence.tsa_url timestamps the checkpoints serve signed without
// one; a TSA that is down is a warning, and the next run (here export -c)
// retries.
func TestCLI_Checkpoint_TimestampsWithoutServe(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeOpsConfig(t, v, "evidence:\n  checkpoint_interval: 1h\n")
	addr, stop := startServeStop(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/a", "a", `{"n":1}`)
	waitComplete(t, 1, "--data", data)
	stop()

	tsa, tsaCA := newTestTSA(t)
	tsaCfg := filepath.Join(t.TempDir(), "tsa.yaml")
	os.WriteFile(tsaCfg, []byte("evidence:\n  tsa_url: "+tsa.URL()+"\n  tsa_ca_file: "+tsaCA+"\n"+allowLocalYAML(tsa.URL())), 0o644)
	tsa.SetDown(true)
	out, errOut, code := cli(t, "checkpoint", "--data", data, "-c", tsaCfg)
	if code != 0 || !strings.Contains(out, "\n3\n") || !strings.Contains(errOut, "warning: checkpoint 1: timestamp from") {
		t.Errorf("TSA down: exit %d %q %s; want the checkpoint and a warning", code, out, errOut)
	}
	tsa.SetDown(false)
	bundle := filepath.Join(t.TempDir(), "b.zip")
	if _, errOut, code := cli(t, "export", "-o", bundle, "--data", data, "-c", tsaCfg); code != 0 {
		t.Fatalf("export: exit %d %s", code, errOut)
	}
	if out, _, code := cli(t, "verify", bundle, "--key", filepath.Join(data, "ca", "log.pub"), "--tsa-ca", tsaCA); code != 0 || !strings.Contains(out, "anchors     1 RFC 3161 timestamps") {
		t.Errorf("export -c with tsa_url: the bundle's verify: exit %d\n%s", code, out)
	}
	if _, errOut, code := cli(t, "checkpoint", "--data", data, "-c", tsaCfg); code != 0 ||
		!strings.Contains(errOut, "checkpoint 1 timestamped by CN=Telltale testbed simulated TSA") {
		t.Errorf("TSA up: exit %d %s", code, errOut)
	}
	if out, errOut, code := cli(t, "verify", "--data", data, "--tsa-ca", tsaCA); code != 0 || !strings.Contains(out, "timestamps  1 of 1 checkpoints") {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
}

func TestCLI_Doctor_TSA(t *testing.T) {
	v := newVendor(t)
	tsa, tsaCA := newTestTSA(t)
	w := newWitness(t)
	cfg, _ := writeConfig(t, v, fmt.Sprintf("evidence:\n  tsa_url: %s\n  tsa_ca_file: %s\n  witness_url: %s/checkpoints\n", tsa.URL(), tsaCA, w.URL))
	allowLocal(t, cfg, tsa.URL())
	_, stop := startServeStop(t, "-c", cfg)
	stop()
	lines, _ := doctorLines(t, "-c", cfg)
	wantLine(t, lines, "ok", "tsa", "timestamp granted by CN=Telltale testbed simulated TSA.*, trusted through evidence.tsa_ca_file")
	wantLine(t, lines, "ok", "witness", "posted to 127.0.0.1:")
	if len(w.received()) != 0 {
		t.Errorf("doctor posted %d checkpoints to the witness, want none", len(w.received()))
	}
	tsa.SetDown(true)
	lines, code := doctorLines(t, "-c", cfg)
	wantLine(t, lines, "fail", "tsa", "503")
	if code != 1 {
		t.Errorf("doctor with the TSA down: exit %d, want 1", code)
	}
	cfg, _ = writeConfig(t, v, "")
	lines, _ = doctorLines(t, "-c", cfg)
	wantLine(t, lines, "warn", "tsa", "no evidence.tsa_url")
}
