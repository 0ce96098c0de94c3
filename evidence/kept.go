package evidence

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// A checkpoint kept outside the log (the server logs each one as it signs
// it: syslog, a ticket, an e-mail) is what makes a rewrite of the log
// show. Whoever holds the key can sign a second history; each kept
// checkpoint must then be proven a prefix of the log that is checked, by
// an RFC 6962 consistency proof, or the log has FORKED.

// provenCheckpoint is a checkpoint of a bundle's checkpoints.jsonl whose
// proof verified: the root of the bundle's log at its size, and the proof.
type provenCheckpoint struct {
	root  tlog.Hash
	proof []tlog.Hash
}

// kept proves each checkpoint the user kept consistent with the bundle's.
func (v *bundleVerifier) kept(kept []KeptCheckpoint) {
	for _, k := range kept {
		ck, err := openCheckpoint(k.Note, v.key, v.wit)
		if err == nil {
			err = v.extends(ck)
		}
		if err != nil {
			v.fail(k.Name, "%v", err)
			continue
		}
		v.known = append(v.known, namedCheckpoint{k.Name, ck})
		v.rep.Kept++
	}
}

// extends proves the bundle's checkpoint consistent with an earlier one,
// with the proof checkpoints.jsonl holds for its size.
func (v *bundleVerifier) extends(old Checkpoint) error {
	n := v.ck
	switch {
	case old.Size > n.Size:
		return fmt.Errorf("cannot prove: it signs tree size %d, beyond this bundle's %d; check it against a newer bundle, "+
			"or against the log itself (telltale verify --data DIR --earlier FILE)", old.Size, n.Size)
	case old.Size == n.Size:
		if old.Root != n.Root {
			return forked(old, n.Root)
		}
		return nil // indexLeafCheckpoints compares the rest
	case old.Size == 0:
		return nil
	}
	p, ok := v.proofs[old.Size]
	if !ok {
		return fmt.Errorf("cannot prove (size %d not checkpointed in this bundle): only the log itself can "+
			"(telltale verify --data DIR --earlier FILE)", old.Size)
	}
	if tlog.CheckTree(p.proof, int64(n.Size), n.Root, int64(old.Size), old.Root) != nil {
		return forked(old, p.root)
	}
	return nil
}

// forked describes a kept checkpoint that the log contradicts, both signed
// by the log key.
func forked(old Checkpoint, root tlog.Hash) error {
	return fmt.Errorf("%w: it signs tree size %d with root hash %s (signed %s), but the log has root hash %s at that size: "+
		"the key signed two different histories, so the log was rewritten after that checkpoint",
		ErrForked, old.Size, old.Root, old.Time.UTC().Format(store.TimeFormat), root)
}

// kept proves each checkpoint the user kept consistent with the store's
// log, whose tree hashes give a proof from any size.
func (v *verifier) kept(kept []KeptCheckpoint) {
	for _, k := range kept {
		ck, err := Open(k.Note, v.key)
		if err == nil {
			err = v.extends(ck)
		}
		for _, c := range v.cps {
			if err == nil {
				err = sameSize(ck, c.Checkpoint)
			}
		}
		if err != nil {
			v.rep.fail(Finding{File: k.Name, Msg: err.Error()})
			continue
		}
		v.rep.Kept++
	}
}

func (v *verifier) extends(old Checkpoint) error {
	size := v.rep.Size
	if old.Size > size {
		return fmt.Errorf("cannot prove: it signs tree size %d, but this log holds only %d records "+
			"(records deleted from its end, or a checkpoint of another copy of the log)", old.Size, size)
	}
	if old.Size == 0 {
		return nil
	}
	root, err := tlog.TreeHash(int64(old.Size), v.st.HashReader())
	if err != nil {
		return fmt.Errorf("cannot prove: the log's tree hashes at size %d do not read: %w", old.Size, err)
	}
	p, err := tlog.ProveTree(int64(size), int64(old.Size), v.st.HashReader())
	if err != nil {
		return fmt.Errorf("cannot prove: no consistency proof from size %d: %w", old.Size, err)
	}
	if tlog.CheckTree(p, int64(size), v.rep.Root, int64(old.Size), old.Root) != nil {
		return forked(old, root)
	}
	return nil
}
