package main

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/evidence"
)

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
		{"re-signed with another key", other, func(*testing.T, map[string][]byte) {}, "neither the trusted key nor a witness"},
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
