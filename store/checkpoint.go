package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// bucketCheckpoints holds the signed checkpoints. It is created by the
// first AppendCheckpoint, so that stores written before it existed open
// unchanged; a store without it has no checkpoints.
var bucketCheckpoints = []byte("checkpoints")

// Checkpoint is a signed checkpoint as the store keeps it: the tree size it
// signs and the signed note. The store does not parse notes (package
// evidence does); it keeps them in order and refuses one that would go
// backwards or beyond the log.
type Checkpoint struct {
	Index uint64 // position in the checkpoints bucket, from 1
	Size  uint64 // the tree size the note signs
	Note  []byte // the signed note, as signed
}

// AppendCheckpoint stores a signed note for the tree of the first size
// records and returns it with its Index. size must be at most the log's
// size and at least the latest checkpoint's: checkpoints only move forward.
func (s *Store) AppendCheckpoint(size uint64, note []byte) (Checkpoint, error) {
	if s.opts.ReadOnly {
		return Checkpoint{}, fmt.Errorf("append checkpoint: %w", ErrReadOnly)
	}
	c := Checkpoint{Size: size, Note: bytes.Clone(note)}
	err := s.update(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketRecords).Sequence(); size > n {
			return fmt.Errorf("tree size %d beyond log size %d: %w", size, n, ErrInvalid)
		}
		b, err := tx.CreateBucketIfNotExists(bucketCheckpoints)
		if err != nil {
			return err
		}
		b.FillPercent = 1 // keys only grow
		if _, v := b.Cursor().Last(); v != nil {
			if last := decodeCheckpoint(0, v); size < last.Size {
				return fmt.Errorf("tree size %d below the latest checkpoint's %d: %w", size, last.Size, ErrInvalid)
			}
		}
		if c.Index, err = b.NextSequence(); err != nil {
			return err
		}
		return b.Put(seqKey(c.Index), encodeCheckpoint(c))
	})
	if err != nil {
		return Checkpoint{}, fmt.Errorf("append checkpoint: %w", err)
	}
	return c, nil
}

// Checkpoints returns every stored checkpoint, oldest first.
func (s *Store) Checkpoints() ([]Checkpoint, error) {
	var out []Checkpoint
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCheckpoints)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			out = append(out, decodeCheckpoint(binary.BigEndian.Uint64(k), v))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	return out, nil
}

// LatestCheckpoint returns the newest stored checkpoint, or ErrNotFound.
func (s *Store) LatestCheckpoint() (Checkpoint, error) {
	var c Checkpoint
	found := false
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCheckpoints)
		if b == nil {
			return nil
		}
		if k, v := b.Cursor().Last(); k != nil {
			c, found = decodeCheckpoint(binary.BigEndian.Uint64(k), v), true
		}
		return nil
	})
	if err == nil && !found {
		err = ErrNotFound
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("latest checkpoint: %w", err)
	}
	return c, nil
}

// encodeCheckpoint is the stored value: the tree size as a big-endian
// uint64, then the note.
func encodeCheckpoint(c Checkpoint) []byte {
	return append(binary.BigEndian.AppendUint64(nil, c.Size), c.Note...)
}

// decodeCheckpoint copies a stored value out of bbolt memory. A value too
// short to hold a size (only an edit makes one) comes back with Size 0 and
// the bytes as Note, for the verifier to report.
func decodeCheckpoint(index uint64, v []byte) Checkpoint {
	if len(v) < 8 {
		return Checkpoint{Index: index, Note: bytes.Clone(v)}
	}
	return Checkpoint{Index: index, Size: binary.BigEndian.Uint64(v), Note: bytes.Clone(v[8:])}
}

// update runs fn in a write transaction of its own, beside the indexer's
// (bbolt serializes them), once every record durable so far is indexed.
func (s *Store) update(fn func(*bolt.Tx) error) error {
	s.caughtUp()
	err := s.db.Update(fn)
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}
