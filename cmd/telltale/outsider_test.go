package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

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

// runOutsider runs the outsider verifier on a bundle and returns its exit
// code and output.
func runOutsider(t *testing.T, py, bundle, key string) (int, string) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "..", "evidence", "outsider", "verify_bundle.py"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, script, bundle, "--key", key).CombinedOutput()
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
			`"redact": true`, "format telltale-bundle/v2"}},
		{"full, not redacted", []string{"--no-redact"}, []string{" 0 parts withheld", `"redact": false`}},
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

func TestOutsiderVerifier_RejectsTamperedBundles(t *testing.T) {
	py := outsiderPython(t)
	dir, key := outsiderDemo(t)
	signer, _, _, err := certs.OpenSigner(filepath.Join(dir, "ca"), "")
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := note.GenerateKey(rand.Reader, signer.Name())
	if err != nil {
		t.Fatal(err)
	}
	other, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	orig := readZip(t, outsiderExport(t, dir, "--no-redact"))
	for _, tc := range []struct {
		name   string
		resign note.Signer // nil: the files are changed, the manifest is not
		edit   func(t *testing.T, files map[string][]byte)
		want   string
	}{
		{"body byte flipped", nil, flipBody, "does not match its SHA-256"},
		{"body byte flipped, manifest re-signed", signer, flipBody, "not the stored bytes"},
		{"last record's meta edited, re-signed", signer, editLastMeta, "leaf is not the one its parts make"},
		{"last record's leaf body line edited, re-signed", signer, editLastLeaf, "not under the checkpoint root"},
		{"file added", nil, addFile, "notes.txt is not listed"},
		{"file added and listed, re-signed", signer, addFile, "not a bundle file name"},
		{"last record's head field edited, re-signed", signer, editLastHeadField, "leaf is not the one its parts make"},
		{"summary row edited, re-signed", signer, editSummary, "summary.csv row"},
		{"capture view edited, re-signed", signer, editView, "its view is not what its records say"},
		{"capture.har text edited, re-signed", signer, editHAR, "capture.har entry"},
		{"re-signed with another key", other, func(*testing.T, map[string][]byte) {}, "not the trusted key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := make(map[string][]byte, len(orig))
			for n, b := range orig {
				files[n] = b
			}
			tc.edit(t, files)
			if tc.resign != nil {
				resignManifest(t, files, tc.resign)
			}
			bundle := filepath.Join(t.TempDir(), "t.zip")
			writeZip(t, bundle, files)
			code, out := runOutsider(t, py, bundle, key)
			if code != 1 || !strings.Contains(out, "FAIL") || !strings.Contains(out, tc.want) {
				t.Errorf("outsider verifier: exit %d, want 1 with %q:\n%s", code, tc.want, out)
			}
		})
	}
}

func flipBody(t *testing.T, files map[string][]byte) {
	for _, n := range sortedNames(files) {
		if strings.HasPrefix(n, evidence.DirBodies) && len(files[n]) > 10 {
			b := bytes.Clone(files[n])
			b[len(b)/2] ^= 1
			files[n] = b
			return
		}
	}
	t.Fatal("no body to flip")
}

// editLastRecord rewrites the last record of captures.jsonl.
func editLastRecord(t *testing.T, files map[string][]byte, edit func(r map[string]any)) {
	lines := strings.Split(strings.TrimSuffix(string(files[evidence.FileCaptures]), "\n"), "\n")
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &line); err != nil {
		t.Fatal(err)
	}
	recs := line["records"].([]any)
	edit(recs[len(recs)-1].(map[string]any))
	b, err := json.Marshal(line)
	if err != nil {
		t.Fatal(err)
	}
	lines[len(lines)-1] = string(b)
	files[evidence.FileCaptures] = []byte(strings.Join(lines, "\n") + "\n")
}

func editLastMeta(t *testing.T, files map[string][]byte) {
	editLastRecord(t, files, func(r map[string]any) {
		r["meta"] = strings.Replace(r["meta"].(string), `"client":"127.0.0.1:`, `"client":"127.0.0.2:`, 1)
	})
}

func editLastLeaf(t *testing.T, files map[string][]byte) {
	editLastRecord(t, files, func(r map[string]any) {
		leaf := r["leaf"].(string)
		i := strings.Index(leaf, "\nbody ") + len("\nbody ")
		r["leaf"] = leaf[:i] + "0" + leaf[i+1:]
	})
}

// editLastHeadField changes a v2 head field's value, its salt kept.
func editLastHeadField(t *testing.T, files map[string][]byte) {
	editLastRecord(t, files, func(r map[string]any) {
		fields, ok := r["head_fields"].([]any)
		if !ok || len(fields) == 0 {
			t.Fatal("the last record has no head fields")
		}
		f := fields[len(fields)-1].(map[string]any)
		f["value"] = f["value"].(string) + " "
	})
}

func editView(t *testing.T, files map[string][]byte) {
	s := string(files[evidence.FileCaptures])
	if !strings.Contains(s, `"status":200,`) {
		t.Fatal("no status 200 in captures.jsonl")
	}
	files[evidence.FileCaptures] = []byte(strings.Replace(s, `"status":200,`, `"status":201,`, 1))
}

func editHAR(t *testing.T, files map[string][]byte) {
	s := string(files[evidence.FileHAR])
	if !strings.Contains(s, `"httpVersion":"HTTP/1.1"`) {
		t.Fatal("no HTTP/1.1 in capture.har")
	}
	files[evidence.FileHAR] = []byte(strings.Replace(s, `"httpVersion":"HTTP/1.1"`, `"httpVersion":"HTTP/1.0"`, 1))
}

func addFile(t *testing.T, files map[string][]byte) {
	files["notes.txt"] = []byte("the vendor's copy of capture 3 is authoritative\n")
}

func editSummary(t *testing.T, files map[string][]byte) {
	s := string(files[evidence.FileSummary])
	if !strings.Contains(s, ",200,") {
		t.Fatal("no status 200 in summary.csv")
	}
	files[evidence.FileSummary] = []byte(strings.Replace(s, ",200,", ",500,", 1))
}

// resignManifest lists every file again in manifest.json and SHA256SUMS,
// as whoever edits a bundle would, and signs the manifest with signer.
func resignManifest(t *testing.T, files map[string][]byte, signer note.Signer) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(files[evidence.FileManifest], &m); err != nil {
		t.Fatal(err)
	}
	sumOf := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	var list []any
	var sums strings.Builder
	names := sortedNames(files)
	for _, n := range names {
		if n == evidence.FileSums || n == evidence.FileManifest || n == evidence.FileManifestSig {
			continue
		}
		fmt.Fprintf(&sums, "%s  %s\n", sumOf(files[n]), n)
	}
	files[evidence.FileSums] = []byte(sums.String())
	for _, n := range names {
		if n != evidence.FileManifest && n != evidence.FileManifestSig {
			list = append(list, map[string]any{"name": n, "sha256": sumOf(files[n]), "size": len(files[n])})
		}
	}
	m["files"] = list
	mb, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	files[evidence.FileManifest] = mb
	sig, err := note.Sign(&note.Note{Text: "telltale bundle manifest\n" + sumOf(mb) + "  manifest.json\n"}, signer)
	if err != nil {
		t.Fatal(err)
	}
	files[evidence.FileManifestSig] = sig
}

func sortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func readZip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	files := map[string][]byte{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, err = b.ReadFrom(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = b.Bytes()
	}
	return files
}

func writeZip(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, n := range sortedNames(files) {
		w, err := z.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
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
