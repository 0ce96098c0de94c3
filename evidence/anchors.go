package evidence

import (
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	"github.com/telltale/telltale/store"
)

// Anchors are evidence about checkpoints from outside whoever holds the
// log key, who could otherwise rebuild the tree and sign it again: an RFC
// 3161 timestamp shows a checkpoint existed by the TSA's time, and a copy
// posted to a witness (witness.go) sits where the key holder cannot
// change it.

// AnchorReport is what a verification found about the anchors.
type AnchorReport struct {
	// Timestamps are the checked RFC 3161 timestamps, by checkpoint.
	Timestamps []CheckedTimestamp
	// Unstamped counts checkpoints without a timestamp (store only).
	Unstamped int
	// Completeness says what the bundle's capture index proves about
	// what the selection left out (bundle only; index.go).
	Completeness string
	// IndexLeaf says from which checkpoint on the capture index is a leaf
	// of the log (index_leaf.go), and which checkpoints predate it.
	IndexLeaf string
	// Cosigned are the checkpoints with witnesses' cosignatures, and
	// which of the witnesses given vouch for each (cosign_verify.go).
	Cosigned []CosignedCheckpoint
}

// CheckedTimestamp is a timestamp that verified, and of what.
type CheckedTimestamp struct {
	Checkpoint uint64 // the stored checkpoint's index
	File       string // the bundle file; "" for a store
	Stamped
}

// Trusted reports whether every checked timestamp's TSA chains to the
// given roots; false when there are none.
func (r AnchorReport) Trusted() bool {
	for _, t := range r.Timestamps {
		if !t.Trusted {
			return false
		}
	}
	return len(r.Timestamps) > 0
}

// StampCheckpoints asks the TSA for a timestamp of each stored checkpoint
// that has none, newest first (the newest covers the most), at most max
// of them (0 means 10), and stores each as an anchor. It returns how many
// it stored; on the first failure it stops, and the rest wait for the
// next call.
func StampCheckpoints(ctx context.Context, st *store.Store, tsa *TSA, max int) (int, error) {
	return StampCheckpointsSince(ctx, st, tsa, time.Time{}, max)
}

// StampCheckpointsSince is StampCheckpoints for the checkpoints signed at
// or after since only: a timestamp of an older one would be too late to
// prove its time (timestamp_lag.go). Serve passes StampWindow before now;
// an older checkpoint stays unstamped, and a newer one that extends it is
// stamped instead.
func StampCheckpointsSince(ctx context.Context, st *store.Store, tsa *TSA, since time.Time, max int) (int, error) {
	if max <= 0 {
		max = 10
	}
	cps, err := st.Checkpoints()
	if err != nil {
		return 0, err
	}
	have, err := st.Anchors(store.AnchorTimestamp)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, cp := range slices.Backward(cps) {
		if _, ok := have[cp.Index]; ok {
			continue
		}
		if t, err := CheckpointTime(cp.Note); err == nil && t.Before(since) {
			break // the older ones are older still
		}
		if n == max {
			break
		}
		tsr, err := tsa.Stamp(ctx, cp.Note)
		if err != nil {
			return n, fmt.Errorf("checkpoint %d: %w", cp.Index, err)
		}
		if err := st.PutAnchor(store.Anchor{Checkpoint: cp.Index, Kind: store.AnchorTimestamp, Data: tsr}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Unstamped counts stored checkpoints without a timestamp.
func Unstamped(st *store.Store) (int, error) {
	cps, err := st.Checkpoints()
	if err != nil {
		return 0, err
	}
	have, err := st.Anchors(store.AnchorTimestamp)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, cp := range cps {
		if _, ok := have[cp.Index]; !ok {
			n++
		}
	}
	return n, nil
}

// checkTimestamps checks every stored timestamp against its checkpoint's
// note, with the TSA roots if any, and against the time it claims.
func (v *verifier) checkTimestamps(roots *x509.CertPool, maxLag time.Duration) error {
	cps, err := v.st.Checkpoints()
	if err != nil {
		return err
	}
	tsrs, err := v.st.Anchors(store.AnchorTimestamp)
	if err != nil {
		return err
	}
	a := &v.rep.Anchors
	for _, cp := range cps {
		tsr, ok := tsrs[cp.Index]
		if !ok {
			a.Unstamped++
			continue
		}
		delete(tsrs, cp.Index)
		st, err := CheckTimestamp(tsr, cp.Note, roots)
		if err != nil {
			v.rep.fail(Finding{Checkpoint: cp.Index, Msg: err.Error()})
			continue
		}
		if claimed, err := CheckpointTime(cp.Note); err == nil {
			if err := checkLag(claimed, st, maxLag); err != nil {
				v.rep.fail(Finding{Checkpoint: cp.Index, Msg: err.Error()})
				continue
			}
		}
		a.Timestamps = append(a.Timestamps, CheckedTimestamp{Checkpoint: cp.Index, Stamped: st})
	}
	for index := range tsrs {
		v.rep.fail(Finding{Checkpoint: index, Msg: "a timestamp is stored for it, but the checkpoint is missing (deleted)"})
	}
	if len(a.Timestamps) > 0 && roots == nil {
		v.rep.note(Finding{Msg: fmt.Sprintf("%d checkpoints timestamped (by %s), TSA not trusted (pass --tsa-ca)",
			len(a.Timestamps), a.Timestamps[len(a.Timestamps)-1].TSA)})
	}
	return nil
}
