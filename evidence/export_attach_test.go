package evidence

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestExport_AttachAddsSignedFiles: files from the Attach hook are listed
// in the signed manifest and SHA256SUMS, the bundle verifies, a changed
// byte in one is caught, and a name the verifier would not know is refused.
func TestExport_AttachAddsSignedFiles(t *testing.T) {
	s := newSmall(t)
	st := mustOpen(t, s.dir, storeOptions())
	var got Attached
	attach := func(a Attached) ([]Attachment, error) {
		got = a
		return []Attachment{{FileReport, []byte("<!doctype html><p>report</p>\n")}, {FileFigures, []byte("time,name,value\n")}}, nil
	}
	var b bytes.Buffer
	m, _, err := Export(&b, st, ExportOptions{Signer: s.key.signer, Key: s.key.vkey, TempDir: t.TempDir(), Attach: attach})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Captures) != m.Captures || got.Checkpoint.TreeSize == 0 || got.Key != s.key.vkey || !bytes.Contains(got.Note, []byte(got.Checkpoint.RootHash.String())) {
		t.Errorf("Attach got %d captures, checkpoint %+v, key %q; want %d captures and the bundle's checkpoint", len(got.Captures), got.Checkpoint, got.Key, m.Captures)
	}
	var listed []string
	for _, f := range m.Files {
		listed = append(listed, f.Name)
	}
	if !slices.Contains(listed, FileReport) || !slices.Contains(listed, FileFigures) {
		t.Errorf("manifest lists %v, want %s and %s", listed, FileReport, FileFigures)
	}
	if rep := verifyBundle(t, b.Bytes(), s.key.vkey); !rep.OK() {
		t.Fatalf("failures: %v", findingStrings(rep.Failures))
	}
	names, files := unzip(t, b.Bytes())
	if !strings.Contains(string(files[FileSums]), "  "+FileReport+"\n") {
		t.Errorf("SHA256SUMS lacks %s:\n%s", FileReport, files[FileSums])
	}
	files[FileReport] = []byte("<!doctype html><p>changed</p>\n")
	rep := verifyBundle(t, rezip(t, names, files), s.key.vkey)
	if fs := findingStrings(rep.Failures); len(fs) == 0 || !strings.HasPrefix(fs[0], FileReport+": SHA-256") || !strings.HasSuffix(fs[0], "the file was changed") {
		t.Errorf("changed %s: got findings %v", FileReport, fs)
	}

	b.Reset()
	bad := func(Attached) ([]Attachment, error) { return []Attachment{{"run.sh", []byte("x")}}, nil }
	if _, _, err := Export(&b, st, ExportOptions{Signer: s.key.signer, Key: s.key.vkey, TempDir: t.TempDir(), Attach: bad}); err == nil || !strings.Contains(err.Error(), "run.sh") {
		t.Errorf("Attach of run.sh: got %v, want a refusal naming it", err)
	}
}
