package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The reads in this file return what is stored, undecoded, for a verifier
// that must report a record that no longer decodes or a hash that is
// missing rather than stop at it.

// RawRecords calls fn with the key and a copy of the stored bytes of every
// record from Seq from (0 means 1) on, in key order, outside any
// transaction. A gap in the keys is a deleted record. An error from fn
// stops it and is returned as is.
func (s *Store) RawRecords(from uint64, fn func(seq uint64, value []byte) error) error {
	type raw struct {
		seq   uint64
		value []byte
	}
	read := func(_ *bolt.Tx, k, v []byte) (raw, bool, error) {
		if len(k) != 8 {
			return raw{}, false, nil // not a record key; the verifier sees the gap
		}
		return raw{binary.BigEndian.Uint64(k), bytes.Clone(v)}, true, nil
	}
	return scanRecords(s, from, read, func(r raw) uint64 { return r.seq },
		func(r raw) error { return fn(r.seq, r.value) })
}

// maxHashRange is the most stored hashes StoredHashRange returns at once:
// a verifier derives its bounds from the log's size and record keys,
// which an edited file can make anything, and the answer is allocated
// whole.
const maxHashRange = 1 << 20

// StoredHashRange returns the stored tree hashes with storage indexes
// (tlog.StoredHashIndex) in [lo, hi); a missing one is nil. It refuses a
// range of more than 2^20 hashes.
func (s *Store) StoredHashRange(lo, hi int64) ([][]byte, error) {
	if lo < 0 || hi < lo {
		return nil, fmt.Errorf("stored hashes [%d, %d): bad range", lo, hi)
	}
	if hi-lo > maxHashRange {
		return nil, fmt.Errorf("stored hashes [%d, %d): more than %d at once; is the log's size edited?", lo, hi, maxHashRange)
	}
	out := make([][]byte, hi-lo)
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHashes).Cursor()
		for k, v := c.Seek(seqKey(uint64(lo))); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				continue
			}
			i := int64(binary.BigEndian.Uint64(k))
			if i >= hi {
				break
			}
			out[i-lo] = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stored hashes: %w", err)
	}
	return out, nil
}

// ResponseCaptures returns the responses index inverted: the Seq of every
// indexed response record mapped to the capture it completes. It names
// the capture of a response record that was deleted.
func (s *Store) ResponseCaptures() (map[uint64]uint64, error) {
	out := map[uint64]uint64{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketResponses).ForEach(func(k, v []byte) error {
			if len(k) == 8 && len(v) == 8 {
				out[binary.BigEndian.Uint64(v)] = binary.BigEndian.Uint64(k)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("responses index: %w", err)
	}
	return out, nil
}
