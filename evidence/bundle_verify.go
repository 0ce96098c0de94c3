package evidence

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
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
	// Keys are the verifier keys the user trusts (log.pub lines they
	// recorded: --key, evidence.trusted_keys); the bundle must be signed
	// by one of them. With none, the bundle is checked with the key it
	// carries, which shows only that it is consistent with itself: the
	// report fails, saying so.
	Keys []string
	// Witnesses are verifier keys whose signature lines are accepted, and
	// verified, on the bundle's signed notes (a line by any other key
	// fails), and whose cosignatures (cosignatures/) count: with a
	// cosignature/v1 key among them, a bundle that none cosigned fails.
	Witnesses []string
	// Earlier are signed checkpoints of the log kept elsewhere (the
	// server's log, a ticket, an e-mail): each must be proven consistent
	// with the bundle's checkpoint, or is reported FORKED.
	Earlier []KeptCheckpoint
	// TSARoots are the roots a timestamp's TSA must chain to (verify
	// --tsa-ca); nil checks timestamps against the certificates they
	// carry only, and the report says the TSA is not trusted.
	TSARoots *x509.CertPool
	// MaxLag fails a timestamp made more than this long after (or
	// before) the time its checkpoint claims (timestamp_lag.go); 0
	// compares nothing. telltale verify passes DefaultMaxLag.
	MaxLag time.Duration
}

// KeptCheckpoint is a signed checkpoint kept outside the log, and where.
type KeptCheckpoint struct {
	Name string // where it came from, for the report: a file name
	Note []byte
}

// BundleReport is what VerifyBundle found.
type BundleReport struct {
	Manifest    *Manifest  // nil when manifest.json does not parse
	Checkpoint  Checkpoint // as signed in checkpoint.txt
	Key         string     // the verifier key everything was checked with
	Fingerprint string
	KeyPinned   bool // Key is one of BundleOptions.Keys, not the bundle's own
	Files       int  // listed files hashed
	Captures    int
	Records     int // inclusion proofs checked
	Bodies      int // body files checked against their leaves
	Earlier     int // earlier checkpoints proven extended by Checkpoint
	Kept        int // BundleOptions.Earlier proven extended by Checkpoint
	Witnesses   int // cosignature/v1 keys among BundleOptions.Witnesses
	// Complete is true when the bundle holds every record of the log up
	// to its checkpoint: nothing selected, nothing left out.
	Complete bool
	Withheld []Withheld
	Anchors  AnchorReport // timestamps and completeness (anchors_bundle.go, index.go)
	Failures []Finding
}

// OK reports whether nothing failed.
func (r *BundleReport) OK() bool { return len(r.Failures) == 0 }

// VerifyBundle checks a bundle offline, trusting nothing in it: every
// listed file's hash against the signed manifest, no file missing or
// extra, the manifest's and the checkpoint's signatures by a trusted key,
// every record's inclusion proof and parts against its leaf, every body
// file against its name and leaf, each earlier checkpoint's consistency
// proof, and that the capture views, capture.har and summary.csv are
// exactly what the proven records make.
//
// A hostile bundle costs bounded time and memory: overlapping zip entries
// are refused, nothing past a failed signature is read, a file is read no
// further than the signed manifest's size for it, and ctx stops the work
// (the error is then ctx's). Every failure is in the report; the error is
// for a file that is not a readable bundle at all (ErrNotBundle).
func VerifyBundle(ctx context.Context, ra io.ReaderAt, size int64, opts BundleOptions) (*BundleReport, error) {
	zr, err := openZip(ra, size)
	if err != nil {
		return nil, err
	}
	v := &bundleVerifier{ctx: ctx, zr: zr, files: map[string]*zip.File{}, sums: map[string]string{},
		used: map[string]bool{}, leaves: map[uint64]int{}, proofs: map[uint64]provenCheckpoint{}, rep: &BundleReport{}}
	v.index()
	mb, err := v.read(FileManifest, maxSmallFile)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("verify bundle: %w", ctx.Err())
	}
	if err != nil {
		if v.files[FileManifest] == nil {
			return nil, fmt.Errorf("%w: it has no %s", ErrNotBundle, FileManifest)
		}
		return nil, fmt.Errorf("%w: %v", ErrNotBundle, err)
	}
	if !v.manifest(mb) {
		return v.rep, nil
	}
	v.useKey(opts)
	// Past a failed signature nothing is proven, and a forger chooses
	// every size and count: stop there.
	steps := []func(){func() { v.manifestSig(mb) }, v.listed, v.keyFile, v.checkpoint,
		v.earlier, v.captures, func() { v.anchors(opts.TSARoots, opts.MaxLag) }, v.captureIndex, v.whole, v.sumsFile,
		func() { v.kept(opts.Earlier) }, func() { v.indexLeafCheckpoints(v.known) }}
	for _, step := range steps {
		if step(); v.stopped || ctx.Err() != nil {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return v.rep, fmt.Errorf("verify bundle: %w", err)
	}
	return v.rep, nil
}

type bundleVerifier struct {
	ctx   context.Context
	zr    *zip.Reader
	files map[string]*zip.File
	sums  map[string]string // listed file -> SHA-256 of its content, when readable
	used  map[string]bool   // body files a record names
	// listing is the manifest's file list by name (listedSum).
	listing map[string]FileInfo
	rep     *BundleReport
	m       *Manifest
	key     note.Verifier   // nil when the key does not parse
	wit     []note.Verifier // witnesses whose signatures are accepted
	cosig   []note.Verifier // cosignature/v1 witnesses, one of which must vouch
	ck      Checkpoint      // what the proofs are checked against
	// proofs are the consistency proofs of checkpoints.jsonl that
	// verified, by tree size, to prove kept checkpoints with.
	proofs map[uint64]provenCheckpoint
	// leaves counts the records of each leaf index, to tell whether a
	// bundle of the whole log holds all of it.
	leaves map[uint64]int
	// known are the earlier and kept checkpoints whose signature
	// verified; indexLeaves the SHA-256 of each proven index record's
	// text, by seq (index_leaf_bundle.go).
	known       []namedCheckpoint
	indexLeaves map[uint64]tlog.Hash
	// stopped is set by a signature that fails: nothing after it is
	// checked.
	stopped bool
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

func (v *bundleVerifier) manifest(mb []byte) bool {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(mb)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		v.fail(FileManifest, "not a bundle manifest: %v (the file was changed or is not from Telltale)", err)
		return false
	}
	if m.Format != BundleFormat && m.Format != BundleFormatV1 && m.Format != BundleFormatV3 && m.Format != BundleFormatV4 {
		v.fail(FileManifest, "format %q, want %q: a newer Telltale may read it", m.Format, BundleFormatV4)
		return false
	}
	v.m, v.rep.Manifest = &m, &m
	return true
}

// manifestSig checks manifest.sig: signed by the key, over manifest.json.
// A signature that fails stops the verification.
func (v *bundleVerifier) manifestSig(mb []byte) {
	v.stopped = true
	sig, err := v.read(FileManifestSig, maxSmallFile)
	if err != nil {
		v.fail(FileManifestSig, "%v: nothing proves the manifest", err)
		return
	}
	if v.key == nil {
		return
	}
	n, err := openSigned(sig, v.key, v.wit)
	if err != nil {
		v.fail(FileManifestSig, "%v", err)
		return
	}
	sum := sha256hex(mb)
	title, signed, _ := strings.Cut(n.Text, "\n")
	signed, _, _ = strings.Cut(signed, " ")
	switch {
	case n.Text == manifestNote(sum):
		v.stopped = false
	case title != manifestSigTitle || manifestNote(signed) != n.Text:
		v.fail(FileManifestSig, "is not the signature of a bundle manifest")
	default:
		v.fail(FileManifestSig, "signs manifest.json with SHA-256 %s, but manifest.json has SHA-256 %s (manifest.json was changed)",
			signed, sum)
	}
	if !v.stopped && !v.rep.KeyPinned {
		v.fail("", "signature checks out against the bundle's own key, which proves nothing: pass --key "+
			"with the log.pub line you recorded (this bundle's key is %s, fingerprint %s)", v.m.Log.Key, Fingerprint(v.m.Log.Key))
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
		if v.ctx.Err() != nil {
			return
		}
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
		sum, n, err := v.hash(f, fi.Size)
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
	case FileReport, FileFigures, FileMeasured, FileProfile, FileLicenses: // derived or given, added by ExportOptions.Attach
		return true
	}
	if isTimestampFile(name) || isCosignatureFile(name) || name == FileIndex {
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
func (v *bundleVerifier) listedSum(name string) string { return v.listed1(name).SHA256 }

// listedSize is the manifest's size of a file, or 0.
func (v *bundleVerifier) listedSize(name string) int64 { return v.listed1(name).Size }

func (v *bundleVerifier) listed1(name string) FileInfo {
	if v.listing == nil {
		v.listing = make(map[string]FileInfo, len(v.m.Files))
		for _, fi := range v.m.Files {
			if _, dup := v.listing[fi.Name]; !dup {
				v.listing[fi.Name] = fi
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
