package evidence

import (
	"bytes"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// indexRecord checks an index record (index_leaf.go) against the capture
// index recomputed from the records it says it indexes, and notes its
// text's hash for the checkpoints that end with it. v.index holds the
// records before it.
func (v *verifier) indexRecord(r *store.Record) {
	fail := func(format string, args ...any) {
		v.rep.fail(Finding{Seq: r.Seq, Msg: "index record: " + fmt.Sprintf(format, args...)})
		v.bad(r.Seq)
	}
	text, err := v.readIndexText(r)
	if err != nil {
		fail("%v", err)
		return
	}
	if v.indexLeaves == nil {
		v.indexLeaves = map[uint64]tlog.Hash{}
	}
	v.indexLeaves[r.Seq] = indexTextHash(text)
	t, err := ParseIndexText(text)
	switch {
	case err != nil:
		fail("%v", err)
		return
	case t.Size >= r.Seq || t.Size < v.lastIndexed:
		fail("indexes the first %d records, not fewer than its own seq and at least the %d the one before indexed", t.Size, v.lastIndexed)
		return
	case v.firstBad != 0 && v.firstBad <= t.Size:
		return // the records it indexes already failed
	}
	v.lastIndexed = t.Size
	x := v.index
	if t.Size != r.Seq-1 {
		if x, err = IndexOf(v.st, t.Size, nil); err != nil {
			fail("%v", err)
			return
		}
	}
	if want := x.Text(t.Size); !bytes.Equal(want, text) {
		fail("does not match the capture index recomputed from the first %d records (a capture was left out of it, or records were changed)", t.Size)
	}
}

// readIndexText reads an index record's body, which retention keeps.
func (v *verifier) readIndexText(r *store.Record) ([]byte, error) {
	if r.Head != nil || r.Body.SHA256 == "" || r.Body.Truncated || r.Body.Size > maxSmallFile {
		return nil, fmt.Errorf("not an index record: a head, or no whole body")
	}
	rc, _, err := v.st.OpenBody(r.Body.SHA256)
	if err != nil {
		return nil, fmt.Errorf("its index text: %w", err)
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxSmallFile))
}

// checkIndexLeaves checks that each checkpoint with an index-leaf line
// ends with the index record it names, and that none after it lacks one.
func (v *verifier) checkIndexLeaves() {
	var first *verifiedCheckpoint
	for i, c := range v.cps {
		if v.firstBad != 0 && v.firstBad <= c.Size {
			continue
		}
		if c.IndexLeaf == nil {
			if first != nil {
				v.rep.fail(Finding{Checkpoint: c.index, Msg: fmt.Sprintf(
					"signed without an index leaf after checkpoint %d, which has one: the capture index was left out of the log", first.index)})
			}
			continue
		}
		if first == nil {
			first = &v.cps[i]
		}
		got, ok := v.indexLeaves[c.Size]
		switch {
		case !ok:
			v.rep.fail(Finding{Checkpoint: c.index, Msg: fmt.Sprintf("its index-leaf line names an index record, but record %d is not one", c.Size)})
		case got != *c.IndexLeaf:
			v.rep.fail(Finding{Checkpoint: c.index, Msg: fmt.Sprintf("its index-leaf line %s is not the hash %s of index record %d", *c.IndexLeaf, got, c.Size)})
		}
	}
	switch {
	case first != nil:
		v.rep.Anchors.IndexLeaf = fmt.Sprintf("the capture index is a leaf of the log from checkpoint %d (tree size %d) on", first.index, first.Size)
		if first.index > 1 {
			v.rep.Anchors.IndexLeaf += fmt.Sprintf("; checkpoints 1-%d predate the index leaf", first.index-1)
		}
	case len(v.cps) > 0:
		v.rep.Anchors.IndexLeaf = "every checkpoint predates the index leaf (an older Telltale): the capture index, if any, is signed in the checkpoints' index lines only, not logged"
	}
}

// sameSize fails a checkpoint that signs the tree size of an earlier one
// with other text: the key signed two different statements of one tree.
func sameSize(a, b Checkpoint) error {
	if a.Size != b.Size || bytes.Equal(a.Body(), b.Body()) {
		return nil
	}
	return fmt.Errorf("%w: two checkpoints of tree size %d differ (%q and %q): the key signed two statements of one tree",
		ErrForked, a.Size, a.Body(), b.Body())
}
