package evidence

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// lines calls fn with each line of a JSON Lines file, numbered from 1.
func (v *bundleVerifier) lines(name string, fn func(n int, line []byte)) {
	f := v.files[name]
	if f == nil {
		return // reported by listed
	}
	rc, err := v.open(f, v.listedSize(name))
	if err != nil {
		return // reported by listed
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(nil, maxLine)
	n := 0
	for sc.Scan() && v.ctx.Err() == nil {
		n++
		fn(n, sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		v.fail(fmt.Sprintf("%s line %d", name, n+1), "unreadable: %v", err)
	}
}

func strict(b []byte, x any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(x); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value on the line")
	}
	return nil
}

// captures checks captures.jsonl line by line and remakes capture.har and
// summary.csv from the proven records, to compare with the bundle's.
func (v *bundleVerifier) captures() {
	harSum, sumSum := sha256.New(), sha256.New()
	hs := &harStream{v: v, w: harSum}
	harW := newHARWriter(hs, v.m.Tool)
	sumW := newSummaryWriter(sumSum)
	seen := map[string]bool{}
	var withheld []Withheld
	v.lines(FileCaptures, func(n int, b []byte) {
		where := fmt.Sprintf("%s line %d", FileCaptures, n)
		var line Line
		if err := strict(b, &line); err != nil {
			v.fail(where, "not a capture line: %v", err)
			return
		}
		if seen[line.ID] {
			v.fail(where, "capture %s appears twice", line.ID)
		}
		seen[line.ID] = true
		v.rep.Captures++
		s := v.line(where, &line)
		for _, e := range line.Records {
			withheld = append(withheld, e.Withheld...)
		}
		if s == nil || v.changed {
			return // remade from changed files, the HAR says nothing new
		}
		hs.prepare(s)
		if err := harW.add(s, hs.source); err != nil {
			v.fail(where, "cannot remake its HAR entry: %v", err)
		}
		sumW.add(s)
	})
	harW.close()
	sumW.close()
	v.remade(FileHAR, harSum)
	v.remade(FileSummary, sumSum)
	v.rep.Withheld = withheld
	if wb, mb := mustJSON(withheld), mustJSON(v.m.Withheld); !bytes.Equal(wb, mb) && !(len(withheld) == 0 && len(v.m.Withheld) == 0) {
		v.fail(FileManifest, "its withheld list is not the one captures.jsonl gives")
	}
	if v.m.Captures != v.rep.Captures || v.m.Records != v.rep.Records {
		v.fail(FileManifest, "says %d captures and %d records, captures.jsonl holds %d and %d",
			v.m.Captures, v.m.Records, v.rep.Captures, v.rep.Records)
	}
	for _, fi := range v.m.Files {
		if (strings.HasPrefix(fi.Name, DirBodies) || strings.HasPrefix(fi.Name, DirRedacted)) && !v.used[fi.Name] {
			v.fail(fi.Name, "no record names it")
		}
	}
}

// remade compares a file Telltale remade from the records with the
// manifest's hash of it; a changed file itself is reported by listed.
func (v *bundleVerifier) remade(name string, h hash.Hash) {
	if v.changed {
		return // remade from changed files: the difference says nothing new
	}
	if want := v.listedSum(name); want != "" && hex.EncodeToString(h.Sum(nil)) != want {
		v.fail(name, "says something other than the proven records (remade from captures.jsonl, it differs)")
	}
}

func mustJSON(x any) []byte {
	b, _ := json.Marshal(x)
	return b
}

// proven checks that a file hashed to its listing.
func (v *bundleVerifier) proven(name string) error {
	if sum := v.sums[name]; sum == "" || sum != v.listedSum(name) {
		return fmt.Errorf("%s does not hash to its listing", name)
	}
	return nil
}

// source reads a body file for remaking the HAR entries: one that hashed
// to its listing, so no more than the manifest says it holds.
func (v *bundleVerifier) source(name string) ([]byte, error) {
	if err := v.proven(name); err != nil {
		return nil, err
	}
	size := v.listedSize(name)
	if size > maxBodyFile {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a HAR entry is remade from", name, size, int64(maxBodyFile))
	}
	rc, err := v.open(v.files[name], size)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// One buffer of the size the manifest signs, not io.ReadAll's
	// doublings.
	b := make([]byte, size)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// selected checks that a capture is one the manifest's selection says the
// bundle holds.
func (v *bundleVerifier) selected(where string, c *store.Capture) {
	sel := v.m.Selection
	var why string
	switch {
	case len(sel.IDs) > 0 && !slices.Contains(sel.IDs, c.ID):
		why = "its id is not among the selected ids"
	case sel.Host != "" && !strings.EqualFold(sel.Host, c.Host):
		why = fmt.Sprintf("its host is %q, not %q", c.Host, sel.Host)
	case sel.Endpoint != "" && !sel.holds(c.Host, c):
		why = fmt.Sprintf("its endpoint is %q, not %q", EndpointOf(c.Method, c.URL), sel.Endpoint)
	case outside(c.Time, sel.Since, sel.Until):
		why = fmt.Sprintf("its time %s is outside %s to %s", c.Time, sel.Since, sel.Until)
	default:
		return
	}
	v.fail(where, "capture %s is outside the bundle's selection: %s", c.ID, why)
}

// outside reports whether a capture's time is not in [since, until); an
// empty bound is open, a time that does not parse is outside.
func outside(at, since, until string) bool {
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return since != "" || until != ""
	}
	for _, b := range []struct {
		s      string
		before bool
	}{{since, true}, {until, false}} {
		if b.s == "" {
			continue
		}
		bound, err := time.Parse(time.RFC3339Nano, b.s)
		if err != nil || b.before && t.Before(bound) || !b.before && !t.Before(bound) {
			return true
		}
	}
	return false
}

// whole checks that a bundle of the whole log holds each of its records:
// its captures' records, and its index records (capture-index.json).
func (v *bundleVerifier) whole() {
	sel := v.m.Selection
	if len(sel.IDs) > 0 || sel.filtered() {
		return
	}
	// The loop ends within len(v.leaves)+10 turns, whatever the tree size.
	var missing []string
	for i := uint64(0); i < v.ck.Size && len(missing) < 10; i++ {
		if v.leaves[i] != 1 {
			missing = append(missing, strconv.FormatUint(i+1, 10))
		}
	}
	if len(missing) > 0 {
		v.fail(FileCaptures, "the bundle selects the whole log, but records %s are missing or repeated", strings.Join(missing, ", "))
		return
	}
	v.rep.Complete = true
}

// line checks one capture: each record, then the capture view. It returns
// the rebuilt capture, or nil when it cannot be rebuilt.
func (v *bundleVerifier) line(where string, line *Line) *shown {
	id, err := strconv.ParseUint(line.ID, 10, 64)
	if err != nil || strconv.FormatUint(id, 10) != line.ID {
		v.fail(where, "capture id %q is not a number", line.ID)
		return nil
	}
	for i := range line.Records {
		v.entry(where, id, &line.Records[i])
	}
	s, err := showLine(line)
	if err != nil {
		v.rep.Failures = append(v.rep.Failures, Finding{File: where, Capture: id, Msg: err.Error()})
		return nil
	}
	if s.open.Seq != id {
		v.rep.Failures = append(v.rep.Failures, Finding{File: where, Capture: id,
			Msg: fmt.Sprintf("opens with record %d, not record %d", s.open.Seq, id)})
	}
	if !bytes.Equal(mustJSON(s.view()), mustJSON(line.Capture)) {
		v.rep.Failures = append(v.rep.Failures, Finding{File: where, Capture: id,
			Msg: "the capture view is not what its records say"})
	}
	v.selected(where, &line.Capture)
	return s
}

// entry checks one record against its leaf, the leaf against the
// checkpoint, and each part against the leaf.
func (v *bundleVerifier) entry(where string, capture uint64, e *Entry) {
	fail := func(format string, args ...any) {
		v.rep.Failures = append(v.rep.Failures, Finding{File: where, Capture: capture, Seq: e.Seq, Msg: fmt.Sprintf(format, args...)})
	}
	l, err := store.ParseLeaf([]byte(e.Leaf))
	if err != nil {
		fail("%v", err)
		return
	}
	v.rep.Records++
	v.leaves[e.LeafIndex]++
	switch {
	case l.Seq != e.Seq || e.LeafIndex != e.Seq-1 || l.Capture != capture:
		fail("the leaf is record %d of capture %d, the entry says record %d (leaf index %d)", l.Seq, l.Capture, e.Seq, e.LeafIndex)
	case e.LeafIndex >= v.ck.Size:
		fail("leaf index %d is beyond the checkpoint's tree size %d", e.LeafIndex, v.ck.Size)
	default:
		if err := tlog.CheckRecord(e.Proof, int64(v.ck.Size), v.ck.Root, int64(e.LeafIndex), tlog.RecordHash([]byte(e.Leaf))); err != nil {
			fail("inclusion proof does not lead to the checkpoint's root: %v", err)
		}
	}
	if got := sha256hex([]byte(e.Meta)); got != l.Meta {
		fail("meta: SHA-256 %s, but the leaf says %s", got, l.Meta)
	} else {
		var r store.Record
		if json.Unmarshal([]byte(e.Meta), &r) != nil || r.Seq != l.Seq || r.Capture != l.Capture || r.Kind != l.Kind {
			fail("meta does not describe the leaf's record")
		}
	}
	v.withheld(fail, capture, e, l)
	v.head(fail, e, l)
	v.body(fail, e, l)
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// withheld checks that each withheld part is one the leaf commits to.
func (v *bundleVerifier) withheld(fail func(string, ...any), capture uint64, e *Entry, l store.Leaf) {
	parts := map[string]string{partName(l.Kind, "head"): l.Head, partName(l.Kind, "body"): cmpOr(l.Sealed, l.StoredSHA256)}
	seen := map[string]bool{}
	for _, w := range e.Withheld {
		sum, ok := parts[w.Part]
		switch {
		case !ok || sum == "" || seen[w.Part]:
			fail("withholds %q, which the leaf has no part for", w.Part)
		case w.SHA256 != sum:
			fail("withheld %s: SHA-256 %s, but the leaf says %s", w.Part, w.SHA256, sum)
		case w.Capture != strconv.FormatUint(capture, 10) || w.Seq != e.Seq:
			fail("withheld %s names capture %s record %d", w.Part, w.Capture, w.Seq)
		}
		seen[w.Part] = true
	}
}

// withheldPart returns the entry's withholding of a part, if any.
func withheldPart(e *Entry, part string) *Withheld {
	for i := range e.Withheld {
		if strings.HasSuffix(e.Withheld[i].Part, part) {
			return &e.Withheld[i]
		}
	}
	return nil
}

func (v *bundleVerifier) head(fail func(string, ...any), e *Entry, l store.Leaf) {
	w := withheldPart(e, "head")
	if l.Version == 2 {
		v.headFields(fail, e, l, w)
		return
	}
	switch {
	case e.HeadFields != nil:
		fail("head: fields of a head whose leaf is v1")
	case e.Head != nil:
		if got := sha256hex([]byte(*e.Head)); got != l.Head {
			fail("head: SHA-256 %s, but the leaf says %s", got, l.Head)
		}
		if w != nil || e.HeadRedacted != nil {
			fail("head: both shipped and withheld")
		}
	case l.Head == "":
		if e.HeadRedacted != nil {
			fail("head: a redacted copy of a head the leaf does not have")
		}
	case w == nil:
		fail("head: missing, and not listed as withheld")
	case w.Reason == ReasonRedacted && e.HeadRedacted == nil:
		fail("head: withheld as redacted, without the redacted copy")
	}
}

func (v *bundleVerifier) body(fail func(string, ...any), e *Entry, l store.Leaf) {
	w := withheldPart(e, "body")
	for _, name := range []string{e.Body, e.BodyRedacted} {
		if name != "" {
			v.used[name] = true
		}
	}
	if l.Sealed != "" {
		v.sealedBody(fail, e, l, w)
		return
	}
	switch {
	case e.Seal != nil:
		fail("body: a seal, but the leaf does not seal its body")
	case l.StoredSHA256 == "":
		if e.Body != "" || e.BodyRedacted != "" {
			fail("body: a body file for a record the leaf stores no bytes of")
		}
	case e.Body != "":
		v.bodyFile(fail, e.Body, l)
		if w != nil || e.BodyRedacted != "" {
			fail("body: both shipped and withheld")
		}
	case w == nil:
		fail("body: missing, and not listed as withheld")
	case w.Reason == ReasonRedacted && (e.BodyRedacted == "" || w.Copy != e.BodyRedacted):
		fail("body: withheld as redacted, without the redacted copy")
	case e.BodyRedacted != "" && v.sums[e.BodyRedacted] == "":
		fail("body: the redacted copy %s is not in the bundle", e.BodyRedacted)
	}
}

// bodyFile checks a body file against the leaf's stored bytes.
func (v *bundleVerifier) bodyFile(fail func(string, ...any), name string, l store.Leaf) {
	if name != DirBodies+l.StoredSHA256 {
		fail("body: names %s, but the leaf's stored bytes are %s", name, DirBodies+l.StoredSHA256)
		return
	}
	// The file against the manifest is listed's check; here, the manifest
	// against the leaf.
	_, ok := v.sums[name]
	switch {
	case !ok:
		fail("body: %s is not in the bundle", name)
	case v.listedSum(name) != l.StoredSHA256:
		fail("body: the manifest lists %s with SHA-256 %s", name, v.listedSum(name))
	default:
		v.rep.Bodies++
		if f := v.files[name]; f != nil && int64(f.UncompressedSize64) != l.StoredSize {
			fail("body: %s is %d bytes, the leaf says %d", name, f.UncompressedSize64, l.StoredSize)
		}
	}
}
