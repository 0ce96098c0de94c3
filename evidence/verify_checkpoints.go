package evidence

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// loadCheckpoints checks each stored checkpoint's signature and order and
// marks the tree sizes whose roots the record pass must compute.
func (v *verifier) loadCheckpoints() error {
	cps, err := v.st.Checkpoints()
	if err != nil {
		return err
	}
	v.rep.Checkpoints = len(cps)
	var next uint64 = 1
	for _, c := range cps {
		for ; next < c.Index; next++ {
			v.rep.fail(Finding{Checkpoint: next, Msg: "missing (deleted)"})
		}
		next = c.Index + 1
		v.checkpoint(c)
	}
	return nil
}

func (v *verifier) checkpoint(c store.Checkpoint) {
	fail := func(format string, args ...any) {
		v.rep.fail(Finding{Checkpoint: c.Index, Msg: fmt.Sprintf(format, args...)})
	}
	ck, err := Open(c.Note, v.key)
	if err != nil {
		fail("%v", err)
		return
	}
	if c.Size != ck.Size {
		fail("stored as tree size %d but the note signs %d (edited)", c.Size, ck.Size)
		return
	}
	if n := len(v.cps); n > 0 {
		prev := v.cps[n-1]
		if err := sameSize(prev.Checkpoint, ck); err != nil {
			fail("%v (checkpoint %d)", err, prev.index)
			return
		}
		if ck.Size < prev.Size {
			fail("tree size %d is below checkpoint %d's %d (out of order)", ck.Size, prev.index, prev.Size)
			return
		}
		if ck.Time.Before(prev.Time) {
			fail("signed at %s, before checkpoint %d (%s) (out of order)",
				ck.Time.UTC().Format(store.TimeFormat), prev.index, prev.Time.UTC().Format(store.TimeFormat))
			return
		}
	}
	if ck.Size > v.rep.Size {
		fail("signs tree size %d but the log holds only %d records (records deleted from the end)", ck.Size, v.rep.Size)
		return
	}
	v.cps = append(v.cps, verifiedCheckpoint{c.Index, ck})
	v.roots[ck.Size] = tlog.Hash{}
	if ck.Size == 0 {
		v.roots[0] = v.tree.root()
	}
}

// checkCheckpoints compares each checkpoint's root with the recomputed one
// and proves each consistent with the latest, then notes what no
// checkpoint covers yet.
func (v *verifier) checkCheckpoints() {
	var good []verifiedCheckpoint
	for _, c := range v.cps {
		if got := v.roots[c.Size]; got != c.Root {
			v.rep.fail(Finding{Checkpoint: c.index, Msg: fmt.Sprintf(
				"root hash %s does not match %s, recomputed from the first %d records (records or tree hashes were changed)",
				c.Root, got, c.Size)})
			continue
		}
		good = append(good, c)
	}
	if len(good) == 0 {
		if len(v.cps) == 0 && v.rep.Checkpoints == 0 {
			v.rep.note(Finding{Msg: "no signed checkpoint yet: nothing proves this log to a third party; run `telltale checkpoint`"})
		}
		return
	}
	latest := good[len(good)-1]
	v.rep.Latest = &latest.Checkpoint
	for _, c := range good[:len(good)-1] {
		if err := v.consistent(c.Checkpoint, latest.Checkpoint); err != nil {
			v.rep.fail(Finding{Checkpoint: c.index, Msg: fmt.Sprintf("not consistent with checkpoint %d (tree size %d): %v",
				latest.index, latest.Size, err)})
		}
	}
	if latest.Size < v.rep.Size {
		v.rep.note(Finding{Msg: fmt.Sprintf("records %d-%d are not covered by a signed checkpoint yet; `telltale checkpoint` signs one",
			latest.Size+1, v.rep.Size)})
	}
}

// consistent proves from the stored tree hashes that old's tree is a
// prefix of new's.
func (v *verifier) consistent(old, new Checkpoint) error {
	if old.Size == 0 {
		return nil
	}
	p, err := tlog.ProveTree(int64(new.Size), int64(old.Size), v.st.HashReader())
	if err != nil {
		return fmt.Errorf("no proof: %w", err)
	}
	return tlog.CheckTree(p, int64(new.Size), new.Root, int64(old.Size), old.Root)
}
