package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketArchive holds where the archiver (package archive) got to: one
// JSON ArchiveState under "state". Created by the first SetArchiveState;
// not part of the Merkle tree.
var bucketArchive = []byte("archive")

// ArchiveState is what of the log is in the object store. Everything the
// first Size records name (their leaves, tiles, records and bodies) and the
// checkpoints up to Checkpoint are there; Anchors maps "index/kind" to the
// hex SHA-256 of the anchor last uploaded.
type ArchiveState struct {
	Size       uint64            `json:"size"`
	Checkpoint uint64            `json:"checkpoint"`
	Anchors    map[string]string `json:"anchors,omitempty"`
	// AnchorsFrom is the first checkpoint index whose anchors are still
	// watched for changes; those of earlier ones are archived and final.
	AnchorsFrom uint64 `json:"anchors_from,omitempty"`
	// Time is when the archive last moved forward.
	Time time.Time `json:"time,omitzero"`
}

// ArchiveState returns the stored state, the zero state when there is none.
func (s *Store) ArchiveState() (ArchiveState, error) {
	var st ArchiveState
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketArchive)
		if b == nil {
			return nil
		}
		if v := b.Get([]byte("state")); v != nil {
			return json.Unmarshal(v, &st)
		}
		return nil
	})
	if err != nil {
		return ArchiveState{}, fmt.Errorf("archive state: %w", err)
	}
	return st, nil
}

// SetArchiveState stores st. It refuses to move Size backwards or past the
// log: the archive only grows.
func (s *Store) SetArchiveState(st ArchiveState) error {
	if s.opts.ReadOnly {
		return fmt.Errorf("archive state: %w", ErrReadOnly)
	}
	v, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("archive state: %w", err)
	}
	err = s.update(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketRecords).Sequence(); st.Size > n {
			return fmt.Errorf("archived size %d beyond log size %d: %w", st.Size, n, ErrInvalid)
		}
		b, err := tx.CreateBucketIfNotExists(bucketArchive)
		if err != nil {
			return err
		}
		if old := b.Get([]byte("state")); old != nil {
			var prev ArchiveState
			if json.Unmarshal(old, &prev) == nil && st.Size < prev.Size {
				return fmt.Errorf("archived size %d below the stored %d: %w", st.Size, prev.Size, ErrInvalid)
			}
		}
		return b.Put([]byte("state"), v)
	})
	if err != nil {
		return fmt.Errorf("archive state: %w", err)
	}
	return nil
}

// keepUnarchived drops from victims every body that a record beyond the
// archived size names: that body may not be in the archive yet, and
// retention must not delete the only copy (Retention.KeepUnarchived).
func (s *Store) keepUnarchived(ctx context.Context, victims []bodyUse) ([]bodyUse, error) {
	st, err := s.ArchiveState()
	if err != nil {
		return nil, err
	}
	unarchived := map[string]bool{}
	for from := st.Size + 1; ; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		next := from
		err := s.view(func(tx *bolt.Tx) error {
			var err error
			next, err = scanUsesChunk(tx, from, recordsChunk*16, func(key string, _ time.Time) { unarchived[key] = true })
			return err
		})
		if err != nil {
			return nil, err
		}
		if next == from {
			break
		}
		from = next
	}
	kept := victims[:0]
	held := 0
	for _, u := range victims {
		if unarchived[u.key] {
			held++
			continue
		}
		kept = append(kept, u)
	}
	if held > 0 {
		s.log.Warn().Int("bodies", held).Uint64("archived", st.Size).
			Msg("store: retention keeps bodies not archived yet; they are pruned once the archive has them")
	}
	return kept, nil
}
