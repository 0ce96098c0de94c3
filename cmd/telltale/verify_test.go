package main

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/evidence"
)

// TestCLI_Evidence_EndToEnd: serve, a few exchanges, checkpoint and verify
// while serving, stop, export, verify the bundle, then change one byte.
func TestCLI_Evidence_EndToEnd(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "evidence:\n  checkpoint_interval: 1h\n")
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	for i, body := range []string{`{"ver":"1.0","n":1}`, `{"ver":"1.0","n":2}`, `{"x":3}`} {
		post(t, c, "https://las.cloud.com/ccid/upload", string(rune('a'+i)), body)
	}
	waitComplete(t, 3, "--data", data)

	out, errOut, code := cli(t, "checkpoint", "--data", data)
	if code != 0 || !regexp.MustCompile(`^telltale/\S+\n7\n\S{44}\ntime \S+\nindex-leaf \S{44}\n\n— telltale/\S+ \S+\n$`).MatchString(out) {
		t.Fatalf("checkpoint while serving: exit %d, %q %s", code, out, errOut)
	}
	out, errOut, code = cli(t, "verify", "--data", data)
	if code != 0 || !regexp.MustCompile(`^ok: tree size 7, root hash \S{44}; 1 checkpoints consistent, the latest covers 7 records \(signed \S+\)\n$`).MatchString(out) {
		t.Fatalf("verify while serving: exit %d, %q %s", code, out, errOut)
	}
	stop()

	bundle := filepath.Join(t.TempDir(), "evidence.zip")
	out, errOut, code = cli(t, "export", "-o", bundle, "--data", data)
	if code != 0 || !strings.HasPrefix(out, "wrote "+bundle+": 3 captures (6 records), proven against the checkpoint of tree size 7") {
		t.Fatalf("export: exit %d, %q %s", code, out, errOut)
	}
	key, _ := os.ReadFile(filepath.Join(data, "ca", "log.pub"))
	out, errOut, code = cli(t, "verify", bundle, "--key", strings.TrimSpace(string(key)))
	if code != 0 || !strings.HasPrefix(out, "ok: "+bundle+" verifies\n") || !strings.Contains(out, "captures    3 (6 records)") {
		t.Fatalf("verify bundle: exit %d, %q %s", code, out, errOut)
	}
	// Without --key, a bundle proves only that it agrees with itself.
	if out, errOut, code = cli(t, "verify", bundle); code != 1 ||
		!strings.Contains(out, "FAIL signature checks out against the bundle's own key, which proves nothing: pass --key") {
		t.Errorf("verify bundle without --key: exit %d, %q %q; want 1 saying the bundle's own key proves nothing", code, out, errOut)
	}

	changed := changeZip(t, bundle, func(name string, b []byte) []byte {
		if strings.HasPrefix(name, "bodies/") {
			b[0] ^= 1
		}
		return b
	})
	out, errOut, code = cli(t, "verify", changed, "--key", filepath.Join(data, "ca", "log.pub"))
	if code != 1 || !regexp.MustCompile(`(?m)^FAIL bodies/[0-9a-f]{64}: SHA-256 [0-9a-f]{64} \(\d+ bytes\), but the manifest says`).MatchString(out) ||
		!strings.Contains(errOut, "verification failed") {
		t.Errorf("a changed body: exit %d, %q %q; want 1 naming the file", code, out, errOut)
	}
	// A byte flipped in captures.jsonl's compressed data, checked with
	// --key so that only the flip can fail it.
	flipped := flipInZip(t, bundle, "captures.jsonl")
	out, errOut, code = cli(t, "verify", flipped, "--key", filepath.Join(data, "ca", "log.pub"))
	if code != 1 || !regexp.MustCompile(`(?m)^FAIL captures\.jsonl: unreadable: `).MatchString(out) ||
		!strings.Contains(errOut, "verification failed") {
		t.Errorf("a flipped byte in the zip: exit %d, %q %q; want 1 saying captures.jsonl is unreadable", code, out, errOut)
	}
}

// flipInZip flips a byte in the middle of a zip entry's stored data.
func flipInZip(t *testing.T, path, name string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		off, err := f.DataOffset()
		if err != nil || f.CompressedSize64 < 16 {
			t.Fatalf("%s: offset %d (%v), %d bytes", name, off, err, f.CompressedSize64)
		}
		raw[off+int64(f.CompressedSize64/2)] ^= 0x40
		p := filepath.Join(t.TempDir(), "flipped.zip")
		if err := os.WriteFile(p, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Fatalf("no %s in %s", name, path)
	return ""
}

// changeZip rewrites a zip with fn applied to each file's content.
func changeZip(t *testing.T, path string, fn func(name string, b []byte) []byte) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		w, _ := zw.Create(f.Name)
		w.Write(fn(f.Name, b))
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), "changed.zip")
	os.WriteFile(p, out.Bytes(), 0o600)
	return p
}

func TestCLI_Verify_ChangedStoreAndBadInput(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/x", "a", `{"n":1}`)
	waitComplete(t, 1, "--data", data)
	stop() // signs the shutdown checkpoint

	bundle := filepath.Join(t.TempDir(), "b.zip")
	if _, errOut, code := cli(t, "export", "-o", bundle, "--data", data); code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	raw, _ := os.ReadFile(bundle)
	trunc := filepath.Join(t.TempDir(), "trunc.zip")
	os.WriteFile(trunc, raw[:len(raw)/2], 0o600)
	_, other, _ := note.GenerateKey(rand.Reader, "telltale/other")
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"truncated bundle", []string{"verify", trunc, "--key", filepath.Join(data, "ca", "log.pub")}, 1, "truncated or corrupt"},
		{"missing bundle", []string{"verify", filepath.Join(t.TempDir(), "nope.zip")}, 2, "nope.zip"},
		{"malformed key", []string{"verify", bundle, "--key", "not-a-key"}, 2, "--key"},
		{"no store", []string{"verify", "--data", t.TempDir()}, 2, "no Telltale store"},
		{"two files", []string{"verify", bundle, bundle}, 2, "arg"},
	}
	for _, tc := range cases {
		out, errOut, code := cli(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%s: exit %d %q %q, want %d mentioning %q", tc.name, code, out, errOut, tc.code, tc.msg)
		}
	}

	// Another key: the first signature that fails ends the verification,
	// and the report says which key signed and which one was trusted.
	logPub, err := os.ReadFile(filepath.Join(data, "ca", "log.pub"))
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(logPub))
	keyV, err := note.NewVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	otherV, err := note.NewVerifier(other)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("FAIL manifest.json: the bundle's key %s (fingerprint %s) is not the pinned key %s (fingerprint %s)\n"+
		"FAIL manifest.sig: not signed by key %s+%08x but by %s+%08x: signed by another key\n",
		key, evidence.Fingerprint(key), other, evidence.Fingerprint(other),
		otherV.Name(), otherV.KeyHash(), keyV.Name(), keyV.KeyHash())
	out, errOut, code := cli(t, "verify", bundle, "--key", other)
	if code != 1 || out != want || !strings.Contains(errOut, "verification failed: 2 problems") {
		t.Errorf("wrong key: exit %d, stdout\n%s\nstderr %q; want exit 1, stdout\n%s", code, out, errOut, want)
	}

	// One byte of a stored record's head, changed on disk.
	db, err := bolt.Open(filepath.Join(data, "telltale.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("records"))
		k, v := b.Cursor().First()
		return b.Put(bytes.Clone(k), bytes.Replace(v, []byte(`"X-Req-Id","value":"a"`), []byte(`"X-Req-Id","value":"b"`), 1))
	})
	db.Close()
	out, errOut, code = cli(t, "verify", "--data", data)
	if code != 1 || out != "FAIL capture 1, record 1: does not match its logged leaf hash (the record was edited after it was logged)\n" ||
		!strings.Contains(errOut, "verification failed: 1 problems") {
		t.Errorf("a changed record: exit %d, %q %q", code, out, errOut)
	}
}

// TestCLI_Verify_AfterKill9: a store left by kill -9 in the middle of a
// burst of appends verifies; `checkpoint` then signs what no checkpoint
// covered.
func TestCLI_Verify_AfterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	child, addr := startChildServe(t, cfg)
	c := proxyClient(t, addr, data)
	c.Timeout = 5 * time.Second
	burstAndKill(t, child, c, v, 8, 100)

	out, errOut, code := cli(t, "verify", "--data", data)
	if code != 0 || !strings.HasPrefix(out, "ok: tree size ") || !strings.Contains(errOut, "not covered by a signed checkpoint") && !strings.Contains(errOut, "no signed checkpoint") {
		t.Fatalf("verify after kill -9: exit %d %q %q", code, out, errOut)
	}
	if _, errOut, code := cli(t, "checkpoint", "--data", data); code != 0 {
		t.Fatalf("checkpoint after kill -9: exit %d %s", code, errOut)
	}
	out, errOut, code = cli(t, "verify", "--data", data)
	size := regexp.MustCompile(`^ok: tree size (\d+),`).FindStringSubmatch(out)
	// The exchanges the kill cut off are no tamper failure, but a warning
	// line that names them (checkpoint's writable open marked them).
	cut := errOut == "" || regexp.MustCompile(`^telltale: warning: \d+ captures? ha(s|ve) no recorded response [^\n]*\n$`).MatchString(errOut)
	if code != 0 || size == nil || !strings.Contains(out, "the latest covers "+size[1]+" records") || !cut {
		t.Errorf("verify after checkpoint: exit %d %q %q", code, out, errOut)
	}
}
