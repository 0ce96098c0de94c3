package evidence

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Limits on what VerifyBundle reads, against a hostile zip.
const (
	maxSmallFile = 64 << 20 // manifest, signature, key, checkpoint
	maxFile      = 4 << 30  // any file, hashed as it streams
	maxBodyFile  = 1 << 30  // a body read whole, to remake its HAR entry
	maxLine      = 64 << 20 // a line of captures.jsonl or checkpoints.jsonl
)

// BundleOptions configure VerifyBundle.
type BundleOptions struct {
	// Key pins the log's verifier key (the log.pub line the user
	// recorded). "" trusts the key the bundle carries, which shows only
	// that the bundle is consistent with itself; the report says so.
	Key string
}

// BundleReport is what VerifyBundle found.
type BundleReport struct {
	Manifest    *Manifest  // nil when manifest.json does not parse
	Checkpoint  Checkpoint // as signed in checkpoint.txt
	Key         string     // the verifier key everything was checked with
	Fingerprint string
	KeyPinned   bool // Key came from BundleOptions, not from the bundle
	Files       int  // listed files hashed
	Captures    int
	Records     int // inclusion proofs checked
	Bodies      int // body files checked against their leaves
	Earlier     int // earlier checkpoints proven extended by Checkpoint
	// Complete is true when the bundle holds every record of the log up
	// to its checkpoint: nothing selected, nothing left out.
	Complete bool
	Withheld []Withheld
	Failures []Finding
}

// OK reports whether nothing failed.
func (r *BundleReport) OK() bool { return len(r.Failures) == 0 }

// VerifyBundle checks a bundle offline, trusting nothing in it but the key
// (pinned, or the bundle's own): every listed file's hash against the
// signed manifest, no file missing or extra, the manifest's and the
// checkpoint's signatures, every record's inclusion proof and parts
// against its leaf, every body file against its name and leaf, each
// earlier checkpoint's consistency proof, and that the capture views,
// capture.har and summary.csv are exactly what the proven records make.
// Every failure is in the report; the error is for a file that is not a
// readable bundle at all (ErrNotBundle).
func VerifyBundle(ra io.ReaderAt, size int64, opts BundleOptions) (*BundleReport, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("%w: %v (the file is truncated or corrupt: get a complete copy or export it again)", ErrNotBundle, err)
	}
	v := &bundleVerifier{zr: zr, files: map[string]*zip.File{}, sums: map[string]string{},
		used: map[string]bool{}, leaves: map[uint64]int{}, rep: &BundleReport{}}
	v.index()
	mb, err := v.read(FileManifest, maxSmallFile)
	if err != nil {
		if v.files[FileManifest] == nil {
			return nil, fmt.Errorf("%w: it has no %s", ErrNotBundle, FileManifest)
		}
		return nil, fmt.Errorf("%w: %v", ErrNotBundle, err)
	}
	if !v.manifest(mb) {
		return v.rep, nil
	}
	v.useKey(opts.Key)
	v.manifestSig(mb)
	v.listed()
	v.keyFile()
	v.checkpoint()
	v.earlier()
	v.captures()
	v.sumsFile()
	return v.rep, nil
}

type bundleVerifier struct {
	zr    *zip.Reader
	files map[string]*zip.File
	sums  map[string]string // listed file -> SHA-256 of its content, when readable
	used  map[string]bool   // body files a record names
	// listing is the manifest's file list by name (listedSum).
	listing map[string]string
	rep     *BundleReport
	m       *Manifest
	key     note.Verifier // nil when the key does not parse
	ck      Checkpoint    // what the proofs are checked against
	// leaves counts the records of each leaf index, to tell whether a
	// bundle of the whole log holds all of it.
	leaves map[uint64]int
	// changed is set when a listed file does not hash to its listing, or
	// the manifest not to its signature: remade files are then not
	// compared, as they would only repeat the failure.
	changed bool
}

func (v *bundleVerifier) fail(file, format string, args ...any) {
	v.rep.Failures = append(v.rep.Failures, Finding{File: file, Msg: fmt.Sprintf(format, args...)})
}

// index maps the zip's entries by name, flagging duplicates and names that
// could not come from an export.
func (v *bundleVerifier) index() {
	for _, f := range v.zr.File {
		if v.files[f.Name] != nil {
			v.fail(f.Name, "appears more than once in the zip")
			continue
		}
		v.files[f.Name] = f
	}
}

// read reads a whole file from the zip, at most limit bytes.
func (v *bundleVerifier) read(name string, limit int64) ([]byte, error) {
	f := v.files[name]
	if f == nil {
		return nil, fmt.Errorf("%s is missing", name)
	}
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a bundle's %s can be", name, f.UncompressedSize64, limit, name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %v (the zip is corrupt)", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit))
	if err != nil {
		return nil, fmt.Errorf("%s: %v (the zip is corrupt)", name, err)
	}
	return b, nil
}

// hash streams a file from the zip through SHA-256.
func (v *bundleVerifier) hash(f *zip.File) (string, int64, error) {
	if f.UncompressedSize64 > maxFile {
		return "", 0, fmt.Errorf("%d bytes, more than %d", f.UncompressedSize64, int64(maxFile))
	}
	rc, err := f.Open()
	if err != nil {
		return "", 0, fmt.Errorf("%v (the zip is corrupt)", err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, maxFile+1))
	if err != nil {
		return "", 0, fmt.Errorf("%v (the zip is corrupt)", err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func (v *bundleVerifier) manifest(mb []byte) bool {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(mb)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		v.fail(FileManifest, "not a bundle manifest: %v (the file was changed or is not from Telltale)", err)
		return false
	}
	if m.Format != BundleFormat {
		v.fail(FileManifest, "format %q, want %q: a newer Telltale may read it", m.Format, BundleFormat)
		return false
	}
	v.m, v.rep.Manifest = &m, &m
	return true
}

// useKey settles the key: pinned, or the bundle's.
func (v *bundleVerifier) useKey(pinned string) {
	key := v.m.Log.Key
	if pinned != "" {
		key, v.rep.KeyPinned = strings.TrimSpace(pinned), true
		if key != v.m.Log.Key {
			v.fail(FileManifest, "the bundle's key %s (fingerprint %s) is not the pinned key %s (fingerprint %s)",
				v.m.Log.Key, Fingerprint(v.m.Log.Key), key, Fingerprint(key))
		}
	}
	v.rep.Key, v.rep.Fingerprint = key, Fingerprint(key)
	k, err := ParseKey(key)
	if err != nil {
		v.fail("", "%v", err)
		return
	}
	v.key = k
	if fp := Fingerprint(v.m.Log.Key); v.m.Log.Fingerprint != fp {
		v.fail(FileManifest, "key fingerprint %s, but the key's is %s", v.m.Log.Fingerprint, fp)
	}
}

// manifestSig checks manifest.sig: signed by the key, over manifest.json.
func (v *bundleVerifier) manifestSig(mb []byte) {
	sig, err := v.read(FileManifestSig, maxSmallFile)
	if err != nil {
		v.fail(FileManifestSig, "%v: nothing proves the manifest", err)
		return
	}
	if v.key == nil {
		return
	}
	n, err := openNote(sig, v.key)
	if err != nil {
		v.changed = true
		v.fail(FileManifestSig, "%v", err)
		return
	}
	sum := sha256hex(mb)
	title, signed, _ := strings.Cut(n.Text, "\n")
	signed, _, _ = strings.Cut(signed, " ")
	switch {
	case n.Text == manifestNote(sum):
	case title != manifestSigTitle || manifestNote(signed) != n.Text:
		v.changed = true
		v.fail(FileManifestSig, "is not the signature of a bundle manifest")
	default:
		v.changed = true
		v.fail(FileManifestSig, "signs manifest.json with SHA-256 %s, but manifest.json has SHA-256 %s (manifest.json was changed)",
			signed, sum)
	}
}

// keyFile checks that log.pub is the manifest's key.
func (v *bundleVerifier) keyFile() {
	b, err := v.read(FileKey, maxSmallFile)
	if err == nil && strings.TrimSpace(string(b)) != v.m.Log.Key {
		v.fail(FileKey, "is not the key manifest.json names")
	}
}

// listed hashes every file the manifest lists and flags missing and
// extra files.
func (v *bundleVerifier) listed() {
	listed := map[string]bool{}
	for _, fi := range v.m.Files {
		if listed[fi.Name] {
			v.fail(FileManifest, "lists %s twice", fi.Name)
			continue
		}
		listed[fi.Name] = true
		if !knownFile(fi.Name) {
			v.fail(fi.Name, "listed in the manifest but not a file an export writes")
		}
		f := v.files[fi.Name]
		if f == nil {
			v.fail(fi.Name, "missing (the signed manifest lists it)")
			continue
		}
		sum, n, err := v.hash(f)
		if err != nil {
			v.changed = true
			v.fail(fi.Name, "unreadable: %v", err)
			continue
		}
		v.sums[fi.Name] = sum
		v.rep.Files++
		if sum != fi.SHA256 || n != fi.Size {
			v.changed = true
			v.fail(fi.Name, "SHA-256 %s (%d bytes), but the manifest says %s (%d bytes): the file was changed",
				sum, n, fi.SHA256, fi.Size)
		}
	}
	for _, name := range []string{FileReadme, FileKey, FileCheckpoint, FileCheckpoints, FileCaptures, FileSummary, FileHAR, FileSums} {
		if !listed[name] {
			v.fail(FileManifest, "does not list %s", name)
		}
	}
	for _, f := range v.zr.File {
		if !listed[f.Name] && f.Name != FileManifest && f.Name != FileManifestSig {
			v.fail(f.Name, "extra file, not in the signed manifest")
		}
	}
}

// knownFile reports whether an export writes a file of this name.
func knownFile(name string) bool {
	switch name {
	case FileReadme, FileKey, FileCheckpoint, FileCheckpoints, FileCaptures, FileSummary, FileHAR, FileSums:
		return true
	case FileReport, FileFigures: // derived, added by ExportOptions.Attach
		return true
	}
	for _, dir := range []string{DirBodies, DirRedacted} {
		if sum, ok := strings.CutPrefix(name, dir); ok && isHexSHA256(sum) {
			return true
		}
	}
	return false
}

func isHexSHA256(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == sha256.Size && hex.EncodeToString(b) == s
}

// listedSum is the manifest's hash of a file, or "".
func (v *bundleVerifier) listedSum(name string) string {
	if v.listing == nil {
		v.listing = make(map[string]string, len(v.m.Files))
		for _, fi := range v.m.Files {
			if _, dup := v.listing[fi.Name]; !dup {
				v.listing[fi.Name] = fi.SHA256
			}
		}
	}
	return v.listing[name]
}

// sumsFile checks that SHA256SUMS says what the manifest says.
func (v *bundleVerifier) sumsFile() {
	var files []FileInfo
	for _, fi := range v.m.Files {
		if fi.Name != FileSums {
			files = append(files, fi)
		}
	}
	sum := sha256.Sum256(sums(files))
	if got := v.listedSum(FileSums); got != "" && got != hex.EncodeToString(sum[:]) {
		v.fail(FileSums, "does not list the manifest's files and hashes")
	}
}
