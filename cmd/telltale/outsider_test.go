package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/store"
)

// The outsider verifier, evidence/outsider/verify_bundle.py, is written
// from README.txt alone; these tests run it on real demo bundles, so that
// README.txt stays enough to verify a bundle without Telltale.

// outsiderPython returns python3 when it has the cryptography module; in
// CI (CI=true) their absence fails the test instead of skipping it.
func outsiderPython(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(py, "-c", "import cryptography").Run()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 with the cryptography module is needed for the outsider verifier: %v", err)
		}
		t.Skipf("no python3 with cryptography: %v", err)
	}
	return py
}

// runOutsider runs the outsider verifier on a bundle, with more flags if
// any, and returns its exit code and output.
func runOutsider(t *testing.T, py, bundle, key string, flags ...string) (int, string) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "..", "evidence", "outsider", "verify_bundle.py"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, append([]string{script, bundle, "--key", key}, flags...)...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatalf("run %s: %v", script, err)
	}
	return 0, string(out)
}

// outsiderDemo runs the demo twice (so the log has an earlier checkpoint
// and two timestamps) and returns its data dir and its log.pub line.
func outsiderDemo(t *testing.T) (dir, key string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "d")
	for _, days := range []string{"3", "1"} {
		if _, errOut, code := cli(t, "demo", "--days", days, "--data", dir, "--exit"); code != 0 {
			t.Fatalf("demo: exit %d: %s", code, errOut)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "ca", "log.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, strings.TrimSpace(string(b))
}

func outsiderExport(t *testing.T, dir string, args ...string) string {
	t.Helper()
	bundle := filepath.Join(t.TempDir(), "b.zip")
	args = append([]string{"export", "-o", bundle, "--data", dir}, args...)
	if _, errOut, code := cli(t, args...); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	return bundle
}

func TestOutsiderVerifier_PassesDemoBundles(t *testing.T) {
	py := outsiderPython(t)
	dir, key := outsiderDemo(t)
	items := listJSON(t, "--data", dir)
	if len(items) < 3 {
		t.Fatalf("the demo made %d captures", len(items))
	}
	ids := string(items[1].ID) + "," + string(items[2].ID)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"full, redacted by default", nil, []string{"earlier checkpoints: 1,", "timestamps/2.tsr", "3 host(s) covered",
			`"redact": true`, "format telltale-bundle/v4"}},
		{"full, not redacted", []string{"--no-redact"}, []string{" 0 parts withheld", `"redact": false`, "derived inputs: licenses.json (0 entitlements) and report.html's derived block go together"}},
		{"host", []string{"--host", "LAS.cloud.com"}, []string{"1 host(s) covered", `"host": "LAS.cloud.com"`}},
		{"host, not redacted", []string{"--host", "cis.citrix.com", "--no-redact"}, []string{"1 host(s) covered"}},
		{"ids", []string{"--id", ids}, []string{"records: 4 in 2 captures", "nothing proves it complete"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runOutsider(t, py, outsiderExport(t, dir, tc.args...), key)
			if code != 0 {
				t.Fatalf("outsider verifier: exit %d, want 0:\n%s", code, out)
			}
			for _, w := range append(tc.want, "PASS ") {
				if !strings.Contains(out, w) {
					t.Errorf("outsider verifier output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestOutsiderVerifier_TunnelsDeniedTruncatedGzip adds what the demo does
// not make to its log: a truncated request body, a gzip response body, a
// tunnel and a denied connection, and verifies bundles of them.
func TestOutsiderVerifier_TunnelsDeniedTruncatedGzip(t *testing.T) {
	py := outsiderPython(t)
	dir, key := outsiderDemo(t)
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	appendRec := func(r *store.Record, body []byte, limit int64) uint64 {
		t.Helper()
		var b *store.Body
		if body != nil {
			b = st.NewBody(limit)
			b.Write(body)
		}
		seq, err := st.Append(ctx, r, b)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	req := appendRec(&store.Record{Kind: store.KindRequest, Client: "127.0.0.1:1", Host: "las.cloud.com", Port: "443",
		Head: &store.Head{Method: "POST", URL: "https://las.cloud.com/upload?a=1&b=%20x", Proto: "HTTP/1.1",
			Headers: []store.Header{{Name: "Content-Type", Value: "text/plain"}}}},
		bytes.Repeat([]byte("0123456789"), 100), 64)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"ok":true}`))
	zw.Close()
	now := time.Now().UTC()
	appendRec(&store.Record{Kind: store.KindResponse, Capture: req, Client: "127.0.0.1:1", Host: "las.cloud.com", Port: "443",
		Head: &store.Head{Status: 200, Proto: "HTTP/1.1", Headers: []store.Header{{Name: "Content-Encoding", Value: "gzip"},
			{Name: "Content-Type", Value: "application/json"}}},
		Timings: &store.Timings{Start: now, Committed: now.Add(1500 * time.Microsecond), FirstByte: now.Add(3 * time.Millisecond),
			End: now.Add(4 * time.Millisecond)}}, gz.Bytes(), 0)
	appendRec(&store.Record{Kind: store.KindTunnel, Client: "127.0.0.1:2", Host: "example.org", Port: "443",
		BytesUp: 10, BytesDown: 20, Duration: 2*time.Minute + 3004*time.Millisecond}, nil, 0)
	appendRec(&store.Record{Kind: store.KindDenied, Client: "127.0.0.1:3", Host: "-evil.example", Port: "443",
		Error: "=not allowed"}, nil, 0)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{nil, {"--no-redact"}} {
		bundle := outsiderExport(t, dir, args...)
		code, out := runOutsider(t, py, bundle, key)
		if code != 0 {
			t.Fatalf("outsider verifier on %v: exit %d, want 0:\n%s", args, code, out)
		}
		summary := string(readZip(t, bundle)[evidence.FileSummary])
		for _, want := range []string{",tunnel,127.0.0.1:2,,example.org,,0,10,20,", ",denied,", "'-evil.example", "'=not allowed",
			"/upload?a=1&b=%20x,200,1000,"} {
			if !strings.Contains(summary, want) {
				t.Errorf("summary.csv of %v lacks %q:\n%s", args, want, summary)
			}
		}
	}
}

// TestOutsiderVerifier_EarlierKeptCheckpoint: a checkpoint kept from the
// first run is extended by a later bundle; one of the same size with
// another root, signed by the same key, is a fork.
func TestOutsiderVerifier_EarlierKeptCheckpoint(t *testing.T) {
	py := outsiderPython(t)
	dir, key := outsiderDemo(t)
	bundle := outsiderExport(t, dir)
	var first evidence.CheckpointLine
	line, _, _ := strings.Cut(string(readZip(t, bundle)[evidence.FileCheckpoints]), "\n")
	if err := json.Unmarshal([]byte(line), &first); err != nil {
		t.Fatalf("checkpoints.jsonl: %v", err)
	}
	kept := filepath.Join(t.TempDir(), "kept.txt")
	os.WriteFile(kept, []byte(first.Note), 0o600)
	if code, out := runOutsider(t, py, bundle, key, "--earlier", kept); code != 0 ||
		!strings.Contains(out, "extended by this bundle's checkpoint") {
		t.Fatalf("--earlier a kept checkpoint: exit %d, want 0:\n%s", code, out)
	}

	signer, _, _, err := certs.OpenSigner(filepath.Join(dir, "ca"), "")
	if err != nil {
		t.Fatal(err)
	}
	ck, err := evidence.ParseCheckpoint(strings.SplitN(first.Note, "\n\n", 2)[0] + "\n")
	if err != nil {
		t.Fatal(err)
	}
	ck.Root[0] ^= 1
	forked, err := evidence.Sign(ck, signer)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(kept, forked, 0o600)
	if code, out := runOutsider(t, py, bundle, key, "--earlier", kept); code != 1 || !strings.Contains(out, "FORKED") {
		t.Errorf("--earlier a forked checkpoint: exit %d, want 1 and FORKED:\n%s", code, out)
	}
}
