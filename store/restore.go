package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Restored is one record of a log being restored (Restore): its stored
// value and leaf data exactly as the log that wrote it had them.
type Restored struct {
	Seq   uint64
	Value []byte // the record as the records bucket stores it (JSON)
	Leaf  []byte // LeafData of the record
}

// RestoreSource gives Restore a log from elsewhere, an archive: its
// records in order, the stored bytes they name and its checkpoints.
type RestoreSource interface {
	// Records calls fn with every record, Seq 1 first.
	Records(fn func(Restored) error) error
	// Body returns the stored bytes under a content address; an error
	// wrapping ErrNotFound when the source lacks them (they read as
	// pruned).
	Body(key string) ([]byte, error)
	// Checkpoints are the log's signed checkpoints, oldest first.
	Checkpoints() []Checkpoint
}

// restoreBatch is how many records one restore transaction writes.
const restoreBatch = 4096

// Restore writes a log into the empty store s as its own store held it:
// the same records, leaves, tree hashes, indexes and bodies, then its
// checkpoints, so that every reader (list, show, the review UI,
// analysis, export, verify) works on it as on the original. It checks
// each leaf against its record and the tree against every checkpoint's
// size; a body the source lacks is marked pruned. The records are not
// appended: they keep their Seq, salts and leaves. Close the store
// after: it is for reading (Append would not continue the log).
func (s *Store) Restore(src RestoreSource) error {
	if s.opts.ReadOnly {
		return fmt.Errorf("restore: %w", ErrReadOnly)
	}
	if n, err := s.Size(); err != nil || n != 0 {
		return fmt.Errorf("restore: the store is not empty (%d records): %w", n, errors.Join(err, ErrInvalid))
	}
	s.pruneMu.Lock()
	defer s.pruneMu.Unlock()
	var batch []walEntry
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.db.Update(func(tx *bolt.Tx) error { return s.restoreEntries(tx, batch, src) })
		batch = batch[:0]
		return err
	}
	err := src.Records(func(r Restored) error {
		e := walEntry{seq: r.Seq, value: r.Value, leaf: r.Leaf}
		if err := fillFromValue(&e); err != nil {
			return fmt.Errorf("record %d: %w", r.Seq, err)
		}
		if batch = append(batch, e); len(batch) == restoreBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	for _, c := range src.Checkpoints() {
		if _, err := s.AppendCheckpoint(c.Size, c.Note); err != nil {
			return fmt.Errorf("restore: checkpoint %d: %w", c.Index, err)
		}
	}
	return nil
}

// restoreEntries writes one batch: records, hashes and indexes through
// the indexer's writer, after checking each leaf; bodies inline or as
// blob files as the store keeps them.
func (s *Store) restoreEntries(tx *bolt.Tx, entries []walEntry, src RestoreSource) error {
	w, err := newTxWriter(tx)
	if err != nil {
		return err
	}
	marks, err := tx.CreateBucketIfNotExists(bucketPruned)
	if err != nil {
		return err
	}
	for i := range entries {
		e := &entries[i]
		r, err := decodeRecord(e.value)
		if err != nil {
			return fmt.Errorf("record %d: %w", e.seq, err)
		}
		leaf, err := LeafData(r)
		if err != nil || string(leaf) != string(e.leaf) {
			return fmt.Errorf("record %d does not make its leaf: %w", e.seq, ErrCorrupt)
		}
		for _, key := range restoredKeys(r) {
			inline, err := s.restoreBody(key, src)
			if errors.Is(err, ErrNotFound) {
				if err := marks.Put([]byte(key), timeBytes(s.opts.Now())); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			if inline != nil {
				e.bodies = append(e.bodies, inline)
			}
		}
		if err := w.apply(e); err != nil {
			return err
		}
	}
	return w.finish()
}

// restoredKeys are the content addresses of the stored bytes r names.
func restoredKeys(r *Record) []string {
	var keys []string
	for _, k := range []string{r.Body.StoredKey(), sealCopy(r)} {
		if k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

func sealCopy(r *Record) string {
	if r.Seal == nil {
		return ""
	}
	return r.Seal.Copy
}

// restoreBody fetches stored bytes once and keeps them as Append would:
// inline (returned) up to InlineMax, else as a blob file.
func (s *Store) restoreBody(key string, src RestoreSource) (*inlineBody, error) {
	if !isSHA256(key) {
		return nil, fmt.Errorf("body %q: %w", key, ErrCorrupt)
	}
	if _, err := os.Stat(s.blobPath(key)); err == nil {
		return nil, nil
	}
	data, err := src.Body(key)
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != key {
		return nil, fmt.Errorf("body %s: bytes do not hash to it: %w", key, ErrCorrupt)
	}
	if int64(len(data)) <= s.opts.InlineMax {
		return &inlineBody{key: key, data: data}, nil
	}
	path := s.blobPath(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return nil, os.WriteFile(path, data, 0o600)
}
