package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// flip changes one byte of a file's content, at a place that keeps the
// file parseable where it can be: inside a JSON string or a text line.
func flip(name string, data []byte) []byte {
	out := bytes.Clone(data)
	i := len(out) / 2
	switch {
	case name == FileManifest:
		i = bytes.Index(out, []byte(`"tool": "`)) + len(`"tool": "`)
	case name == FileManifestSig, name == FileCheckpoint:
		i = 2 // in the note text
	case name == FileCaptures:
		i = bytes.Index(out, []byte(`"meta":"{`)) + len(`"meta":"{`) + 3
	case name == FileCheckpoints:
		i = bytes.Index(out, []byte(`"note":"`)) + len(`"note":"`) + 3
	}
	if out[i] == 'a' {
		out[i] = 'b'
	} else {
		out[i] = 'a'
	}
	return out
}

func TestVerifyBundle_OneByteInEachFile(t *testing.T) {
	st, k := newSecrets(t)
	b := export(t, st, k, Selection{Redact: true})
	names, files := unzip(t, b)
	if rep := verifyBundle(t, b, k.vkey); !rep.OK() {
		t.Fatalf("untouched bundle: %v", findingStrings(rep.Failures))
	}
	var m struct{ Files []FileInfo }
	json.Unmarshal(files[FileManifest], &m)
	listed := map[string]FileInfo{}
	for _, f := range m.Files {
		listed[f.Name] = f
	}
	kinds := map[string]bool{}
	for _, name := range names {
		kind := name
		if i := strings.IndexByte(name, '/'); i > 0 {
			kind = name[:i+1]
		}
		if kinds[kind] {
			continue
		}
		kinds[kind] = true
		t.Run(kind, func(t *testing.T) {
			changed := maps.Clone(files)
			changed[name] = flip(name, files[name])
			rep := verifyBundle(t, rezip(t, names, changed), k.vkey)
			var want string
			switch name {
			case FileManifest:
				want = fmt.Sprintf("manifest.sig: signs manifest.json with SHA-256 %s, but manifest.json has SHA-256 %s (manifest.json was changed)",
					sumHex(files[name]), sumHex(changed[name]))
			case FileManifestSig:
				want = fmt.Sprintf("manifest.sig: signature by telltale/secrets+%08x does not verify: bad signature", k.signer.KeyHash())
			default:
				f := listed[name]
				want = fmt.Sprintf("%s: SHA-256 %s (%d bytes), but the manifest says %s (%d bytes): the file was changed",
					name, sumHex(changed[name]), f.Size, f.SHA256, f.Size)
			}
			hasFinding(t, rep.Failures, want)
		})
	}
	for _, want := range []string{FileManifest, FileManifestSig, FileReadme, FileKey, FileCheckpoint, FileCheckpoints,
		FileCaptures, FileSummary, FileHAR, FileSums, DirBodies, DirRedacted} {
		if !kinds[want] {
			t.Errorf("the bundle has no %s to change", want)
		}
	}
}

func TestVerifyBundle_MissingAndExtraFiles(t *testing.T) {
	st, k := newSecrets(t)
	names, files := unzip(t, export(t, st, k, Selection{}))
	without := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == FileHAR })
	rep := verifyBundle(t, rezip(t, without, files), k.vkey)
	hasFinding(t, rep.Failures, "capture.har: missing (the signed manifest lists it)")

	files["bodies/extra"] = []byte("x")
	files["../../etc/passwd"] = []byte("x")
	rep = verifyBundle(t, rezip(t, append(slices.Clone(names), "bodies/extra", "../../etc/passwd"), files), k.vkey)
	wantFindings(t, rep.Failures, "bodies/extra: extra file, not in the signed manifest",
		"../../etc/passwd: extra file, not in the signed manifest")

	rep = verifyBundle(t, rezip(t, append(slices.Clone(names), FileHAR), files), k.vkey)
	hasFinding(t, rep.Failures, "capture.har: appears more than once in the zip")
}

func TestVerifyBundle_WrongKey(t *testing.T) {
	st, k := newSecrets(t)
	b := export(t, st, k, Selection{})
	other := newTestKey(t, "telltale/other")
	rep := verifyBundle(t, b, other.vkey)
	if rep.OK() || !rep.KeyPinned {
		t.Fatal("a bundle verified with another key")
	}
	hasFinding(t, rep.Failures, fmt.Sprintf("manifest.json: the bundle's key %s (fingerprint %s) is not the pinned key %s (fingerprint %s)",
		k.vkey, Fingerprint(k.vkey), other.vkey, Fingerprint(other.vkey)))
	// The first signature that fails ends the verification.
	wantFindings(t, rep.Failures, fmt.Sprintf("manifest.json: the bundle's key %s (fingerprint %s) is not the pinned key %s (fingerprint %s)",
		k.vkey, Fingerprint(k.vkey), other.vkey, Fingerprint(other.vkey)),
		fmt.Sprintf("manifest.sig: not signed by key telltale/other+%08x but by telltale/secrets+%08x: signed by another key",
			other.signer.KeyHash(), k.signer.KeyHash()))
	if rep := verifyBundle(t, b, "not a key"); rep.OK() {
		t.Error("a bundle verified with a malformed key")
	}
	// A bundle re-signed by someone else verifies only with their key.
	if rep := verifyBundle(t, b, ""); rep.KeyPinned {
		t.Errorf("with the bundle's own key: pinned %v", rep.KeyPinned)
	}
}

func TestVerifyBundle_TruncatedOrNotAZip(t *testing.T) {
	st, k := newSecrets(t)
	b := export(t, st, k, Selection{})
	for _, n := range []int{0, 10, len(b) / 2, len(b) - 30, len(b) - 1} {
		rep, err := VerifyBundle(context.Background(), bytes.NewReader(b[:n]), int64(n), BundleOptions{})
		if err == nil && rep.OK() {
			t.Errorf("truncated to %d of %d bytes: verified", n, len(b))
		}
		if err != nil && (!errors.Is(err, ErrNotBundle) || !strings.Contains(err.Error(), "truncated or corrupt")) {
			t.Errorf("truncated to %d: got %v, want ErrNotBundle saying it is truncated or corrupt", n, err)
		}
	}
	names, files := unzip(t, b)
	without := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == FileManifest })
	if _, err := VerifyBundle(context.Background(), bytes.NewReader(rezip(t, without, files)), 0, BundleOptions{}); !errors.Is(err, ErrNotBundle) {
		t.Errorf("no manifest: got %v, want ErrNotBundle", err)
	}
}

// checkMutant verifies a changed bundle: it must not panic, and it may
// verify only if every file it holds is the original's.
func checkMutant(t *testing.T, key string, orig map[string][]byte, data []byte) {
	rep, err := VerifyBundle(context.Background(), bytes.NewReader(data), int64(len(data)), BundleOptions{Keys: []string{key}})
	if err != nil || !rep.OK() {
		return
	}
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	got := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		var b []byte
		if err == nil {
			b, err = io.ReadAll(rc)
			rc.Close()
		}
		if err != nil {
			t.Fatalf("verified, but %s does not read: %v", f.Name, err)
		}
		got[f.Name] = b
	}
	if !maps.EqualFunc(got, orig, bytes.Equal) {
		t.Fatal("a changed bundle verified")
	}
}

func FuzzVerifyBundle(f *testing.F) {
	st, k := newSecrets(f)
	b := export(f, st, k, Selection{Redact: true})
	_, orig := unzip(f, b)
	f.Add(b)
	for _, i := range []int{0, 4, 30, len(b) / 3, len(b) / 2, len(b) - 100, len(b) - 22, len(b) - 5} {
		m := bytes.Clone(b)
		m[i] ^= 0x20
		f.Add(m)
	}
	f.Add(b[:len(b)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		checkMutant(t, k.vkey, orig, data)
	})
}

// resign rebuilds a changed bundle as the key's holder could: every
// listing, SHA256SUMS and manifest.sig made anew. What still fails is what
// the log itself contradicts.
func resign(t *testing.T, k testKey, names []string, files map[string][]byte) []byte {
	t.Helper()
	var m Manifest
	if err := json.Unmarshal(files[FileManifest], &m); err != nil {
		t.Fatal(err)
	}
	var listed []FileInfo
	for _, f := range m.Files {
		if f.Name != FileSums {
			listed = append(listed, FileInfo{Name: f.Name, SHA256: sumHex(files[f.Name]), Size: int64(len(files[f.Name]))})
		}
	}
	files[FileSums] = sums(listed)
	m.Files = append(listed, FileInfo{Name: FileSums, SHA256: sumHex(files[FileSums]), Size: int64(len(files[FileSums]))})
	slices.SortFunc(m.Files, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	mb, _ := json.MarshalIndent(&m, "", "  ")
	files[FileManifest] = append(mb, '\n')
	sig, err := note.Sign(&note.Note{Text: manifestNote(sumHex(files[FileManifest]))}, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	files[FileManifestSig] = sig
	return rezip(t, names, files)
}

// TestVerifyBundle_ResignedBundleStillCaught: with the key, one can re-sign
// a bundle, but not change what the log proves: a dropped capture, a
// capture view or a HAR file that says something else.
func TestVerifyBundle_ResignedBundleStillCaught(t *testing.T) {
	st, k := newSecrets(t)
	b := export(t, st, k, Selection{})
	names, files := unzip(t, b)
	if rep := verifyBundle(t, resign(t, k, names, maps.Clone(files)), k.vkey); !rep.OK() || !rep.Complete {
		t.Fatalf("re-signed as is: ok %v complete %v: %v", rep.OK(), rep.Complete, findingStrings(rep.Failures))
	}
	lines := strings.SplitAfter(string(files[FileCaptures]), "\n")
	cases := []struct {
		name   string
		change func(map[string][]byte)
		want   string
	}{
		{"a dropped capture", func(f map[string][]byte) {
			f[FileCaptures] = []byte(lines[0] + strings.Join(lines[2:], ""))
		}, "captures.jsonl: the bundle selects the whole log, but records 3, 4 are missing or repeated"},
		{"an edited capture view", func(f map[string][]byte) {
			f[FileCaptures] = bytes.Replace(f[FileCaptures], []byte(`"host":"las.cloud.com","url"`), []byte(`"host":"las.example.com","url"`), 1)
		}, "captures.jsonl line 2, capture 3: the capture view is not what its records say"},
		{"an edited HAR file", func(f map[string][]byte) {
			f[FileHAR] = bytes.Replace(f[FileHAR], []byte(`"status":200`), []byte(`"status":201`), 1)
		}, "capture.har: says something other than the proven records (remade from captures.jsonl, it differs)"},
		{"an edited summary", func(f map[string][]byte) {
			f[FileSummary] = bytes.Replace(f[FileSummary], []byte(",200,"), []byte(",500,"), 1)
		}, "summary.csv: says something other than the proven records (remade from captures.jsonl, it differs)"},
		{"a bundle selection it does not hold", func(f map[string][]byte) {
			f[FileManifest] = bytes.Replace(f[FileManifest], []byte(`"selection": {`), []byte(`"selection": {"host": "las.cloud.com",`), 1)
		}, `captures.jsonl line 1: capture 1 is outside the bundle's selection: its host is "trust.citrixworkspacesapi.net", not "las.cloud.com"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			changed := maps.Clone(files)
			tc.change(changed)
			rep := verifyBundle(t, resign(t, k, names, changed), k.vkey)
			hasFinding(t, rep.Failures, tc.want)
		})
	}
}
