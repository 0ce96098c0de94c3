package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketAnchors holds what anchors checkpoints outside the key holder: an
// RFC 3161 timestamp of a checkpoint, the receipt of a witness it was sent
// to. Created by the first PutAnchor; a store without it has no anchors.
var bucketAnchors = []byte("anchors")

// Anchor kinds.
const (
	// AnchorTimestamp is an RFC 3161 time-stamp response (DER) over the
	// SHA-256 of the checkpoint's signed note.
	AnchorTimestamp = "rfc3161"
	// AnchorWitness is the JSON receipt of a POST of the checkpoint to a
	// witness (evidence.witness_url): where and when it was accepted.
	AnchorWitness = "witness"
	// AnchorCosignatures are the C2SP cosignature/v1 note signature lines
	// of the witnesses that cosigned the checkpoint, one a line, sorted.
	AnchorCosignatures = "cosignatures"
	// AnchorRefusals is the JSON array of witnesses' refusals of the
	// checkpoint that show the log forked (evidence.Refusal).
	AnchorRefusals = "witness-refusals"
)

// Anchor is one piece of outside evidence about a stored checkpoint. Like
// checkpoints, anchors are not leaves of the log: they vouch for it.
type Anchor struct {
	Checkpoint uint64 // the checkpoint's Index
	Kind       string // AnchorTimestamp, AnchorWitness
	Data       []byte
}

// anchorKey is checkpoint index ‖ kind, so a checkpoint's anchors sort
// together.
func anchorKey(index uint64, kind string) []byte {
	return append(seqKey(index), kind...)
}

// PutAnchor stores an anchor of a stored checkpoint, replacing one of the
// same kind (a newer witness receipt). The checkpoint must exist.
func (s *Store) PutAnchor(a Anchor) error {
	if s.opts.ReadOnly {
		return fmt.Errorf("put anchor: %w", ErrReadOnly)
	}
	if a.Kind == "" || len(a.Data) == 0 {
		return fmt.Errorf("put anchor: no kind or no data: %w", ErrInvalid)
	}
	err := s.update(func(tx *bolt.Tx) error {
		cps := tx.Bucket(bucketCheckpoints)
		if cps == nil || cps.Get(seqKey(a.Checkpoint)) == nil {
			return fmt.Errorf("no checkpoint %d: %w", a.Checkpoint, ErrNotFound)
		}
		b, err := tx.CreateBucketIfNotExists(bucketAnchors)
		if err != nil {
			return err
		}
		return b.Put(anchorKey(a.Checkpoint, a.Kind), a.Data)
	})
	if err != nil {
		return fmt.Errorf("put anchor: %w", err)
	}
	return nil
}

// Anchors returns every stored anchor of a kind, by checkpoint index.
func (s *Store) Anchors(kind string) (map[uint64][]byte, error) {
	out := map[uint64][]byte{}
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAnchors)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) > 8 && string(k[8:]) == kind {
				out[binary.BigEndian.Uint64(k)] = bytes.Clone(v)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("anchors: %w", err)
	}
	return out, nil
}
