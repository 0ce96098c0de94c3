package evidence

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/store"
)

// Cosignatures in bundles and their verification (cosign.go has the
// client that gets them).

// DirCosignatures holds the witnesses' cosignatures of a bundle's
// checkpoints: cosignatures/<checkpoint index>.txt, the note signature
// lines ("— <witness name> <base64>") that the witnesses added to that
// checkpoint's signed note, one a line. Appended after the note's own
// signature line, each verifies with its witness's key.
const DirCosignatures = "cosignatures/"

// AnchorCosignature is the manifest's anchor kind of a cosignature file.
const AnchorCosignature = "cosignature/v1"

// BundleFormatV3 is the format of a bundle that carries cosignatures:
// older verifiers refuse it rather than skip them. A bundle without any
// stays BundleFormat.
const BundleFormatV3 = "telltale-bundle/v3"

// CosignedCheckpoint is what the cosignatures of one checkpoint proved.
type CosignedCheckpoint struct {
	Checkpoint uint64 // the stored checkpoint's index
	File       string // the bundle file; "" for a store
	Size       uint64 // its tree size
	// Witnesses are the names of the witnesses given (--witness) whose
	// cosignature verified: each vouches that the checkpoint extends
	// every checkpoint of the log it cosigned before.
	Witnesses []string
	// Others counts the lines by witnesses not given, which prove
	// nothing to this verifier.
	Others int
}

func cosignatureFile(index uint64) string {
	return DirCosignatures + strconv.FormatUint(index, 10) + ".txt"
}

func isCosignatureFile(name string) bool {
	n, ok := strings.CutPrefix(name, DirCosignatures)
	if !ok {
		return false
	}
	n, ok = strings.CutSuffix(n, ".txt")
	i, err := strconv.ParseUint(n, 10, 64)
	return ok && err == nil && cosignatureFile(i) == name
}

// cosignatures adds the stored cosignatures of the bundle's checkpoint and
// of the earlier ones to the bundle, and lists them in the manifest.
func (x *exporter) cosignatures() error {
	all, err := x.st.Anchors(store.AnchorCosignatures)
	if err != nil {
		return err
	}
	var indexes []uint64
	for i := range all {
		if i <= x.cp.Index {
			indexes = append(indexes, i)
		}
	}
	slices.Sort(indexes)
	for _, i := range indexes {
		a := AnchorInfo{Kind: AnchorCosignature, Checkpoint: i, Note: FileCheckpoints, File: cosignatureFile(i)}
		if i == x.cp.Index {
			a.Note = FileCheckpoint
		}
		if err := x.bw.addBytes(a.File, all[i]); err != nil {
			return err
		}
		x.m.Anchors = append(x.m.Anchors, a)
	}
	return nil
}

// bundleFormat is BundleFormatV4 for a bundle whose checkpoint ends with
// an index record, else BundleFormatV3 for a bundle with cosignatures.
func bundleFormat(anchors []AnchorInfo, indexLeaf bool) string {
	if indexLeaf {
		return BundleFormatV4
	}
	for _, a := range anchors {
		if a.Kind == AnchorCosignature {
			return BundleFormatV3
		}
	}
	return BundleFormat
}

// cosignature checks one cosignature file against the note it names.
func (v *bundleVerifier) cosignature(an AnchorInfo, earlier map[uint64][]byte) {
	if an.File != cosignatureFile(an.Checkpoint) || (v.m.Format != BundleFormatV3 && v.m.Format != BundleFormatV4) {
		v.fail(FileManifest, "anchor %s of checkpoint %d in %s: not an anchor an export writes in a %s bundle", an.Kind, an.Checkpoint, an.File, v.m.Format)
		return
	}
	msg, err := v.anchoredNote(an, earlier)
	if err != nil {
		v.fail(an.File, "%v", err)
		return
	}
	lines, err := v.read(an.File, maxSmallFile)
	if err != nil {
		v.fail(an.File, "%v", err)
		return
	}
	c, err := checkCosignatures(msg, lines, v.cosig)
	if err != nil {
		v.fail(an.File, "checkpoint %d: %v", an.Checkpoint, err)
		return
	}
	c.Checkpoint, c.File = an.Checkpoint, an.File
	v.rep.Anchors.Cosigned = append(v.rep.Anchors.Cosigned, c)
}

// checkCosignatures checks cosignature lines of a signed checkpoint: each
// line by a given witness must verify; the others are counted.
func checkCosignatures(signed, lines []byte, witnesses []note.Verifier) (CosignedCheckpoint, error) {
	var c CosignedCheckpoint
	text, err := noteText(signed)
	if err != nil {
		return c, err
	}
	ck, err := ParseCheckpoint(text)
	if err != nil {
		return c, err
	}
	c.Size = ck.Size
	if len(lines) == 0 || lines[len(lines)-1] != '\n' {
		return c, fmt.Errorf("cosignature lines must each end with a newline")
	}
	for _, l := range strings.SplitAfter(strings.TrimSuffix(string(lines), "\n"), "\n") {
		l = strings.TrimSuffix(l, "\n") + "\n"
		name, rest, ok := strings.Cut(strings.TrimPrefix(l, "— "), " ")
		if !strings.HasPrefix(l, "— ") || !ok || rest == "\n" {
			return c, fmt.Errorf("%q is not a note signature line", strings.TrimSpace(l))
		}
		i := slices.IndexFunc(witnesses, func(w note.Verifier) bool { return w.Name() == name && sigHash(rest) == w.KeyHash() })
		if i < 0 {
			c.Others++
			continue
		}
		if !verifiesLine(text, l, witnesses[i]) {
			return c, fmt.Errorf("the cosignature by witness %s does not verify: the checkpoint or the line was changed", name)
		}
		if !slices.Contains(c.Witnesses, name) {
			c.Witnesses = append(c.Witnesses, name)
		}
	}
	sort.Strings(c.Witnesses)
	return c, nil
}

// sigHash is the key hash that starts a signature line's base64.
func sigHash(b64 string) uint32 {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(raw) < 4 {
		return 0
	}
	return binary.BigEndian.Uint32(raw)
}

// witnessesVouch fails a bundle that no given cosignature/v1 witness
// vouches for: with --witness, the user asked for a checkpoint that
// someone outside the key holder saw.
func (v *bundleVerifier) witnessesVouch() {
	if len(v.cosig) == 0 {
		return
	}
	for _, c := range v.rep.Anchors.Cosigned {
		if len(c.Witnesses) > 0 {
			return
		}
	}
	v.fail("", "no witness you named (--witness %s) cosigned any checkpoint of this bundle: nothing outside the key holder vouches for this log "+
		"(a log rewritten after a witness saw it gets no cosignature; ask the witness for its latest checkpoint of this log)",
		strings.Join(verifierNames(v.cosig), ", "))
}

func verifierNames(vs []note.Verifier) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name())
	}
	return out
}

// checkWitnesses checks the stored cosignatures with the given witness
// keys, and fails each stored refusal: a witness found the log does not
// extend what it cosigned before.
func (v *verifier) checkWitnesses(keys []string) error {
	var ws []note.Verifier
	for _, k := range keys {
		w, err := ParseWitnessKey(k)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	cps, err := v.st.Checkpoints()
	if err != nil {
		return err
	}
	cos, err := v.st.Anchors(store.AnchorCosignatures)
	if err != nil {
		return err
	}
	refusals, err := v.st.Anchors(store.AnchorRefusals)
	if err != nil {
		return err
	}
	vouched := false
	for _, cp := range cps {
		if b, ok := refusals[cp.Index]; ok {
			var rs []Refusal
			json.Unmarshal(b, &rs) //nolint:errcheck // an unreadable refusal is still one
			for _, r := range rs {
				v.rep.fail(Finding{Checkpoint: cp.Index, Msg: fmt.Sprintf("witness %s (%s) refused it at %s: %s",
					r.Witness, r.URL, r.Time.Format(store.TimeFormat), r.Error)})
			}
			if len(rs) == 0 {
				v.rep.fail(Finding{Checkpoint: cp.Index, Msg: "a witness refused it (the stored refusal does not read)"})
			}
		}
		lines, ok := cos[cp.Index]
		if !ok {
			continue
		}
		c, err := checkCosignatures(cp.Note, lines, ws)
		if err != nil {
			v.rep.fail(Finding{Checkpoint: cp.Index, Msg: err.Error()})
			continue
		}
		c.Checkpoint = cp.Index
		vouched = vouched || len(c.Witnesses) > 0
		v.rep.Anchors.Cosigned = append(v.rep.Anchors.Cosigned, c)
	}
	if len(ws) > 0 && !vouched && len(cps) > 0 {
		v.rep.fail(Finding{Msg: fmt.Sprintf("no witness you named (--witness %s) cosigned any checkpoint of this log: nothing outside the key holder vouches for it",
			strings.Join(verifierNames(ws), ", "))})
	}
	return nil
}

// Timestamps are the manifest's RFC 3161 anchors, for README.txt.
func (m *Manifest) Timestamps() []AnchorInfo { return m.anchorsOf(store.AnchorTimestamp) }

// Cosignatures are the manifest's cosignature anchors, for README.txt.
func (m *Manifest) Cosignatures() []AnchorInfo { return m.anchorsOf(AnchorCosignature) }

func (m *Manifest) anchorsOf(kind string) []AnchorInfo {
	var out []AnchorInfo
	for _, a := range m.Anchors {
		if a.Kind == kind {
			out = append(out, a)
		}
	}
	return out
}
