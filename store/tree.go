package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// bucketHashReader reads stored tree hashes from the hashes bucket of an
// open transaction.
func bucketHashReader(b *bolt.Bucket) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hashes := make([]tlog.Hash, len(indexes))
		for i, index := range indexes {
			v := b.Get(seqKey(uint64(index)))
			if len(v) != tlog.HashSize {
				return nil, fmt.Errorf("tree hash %d: %w", index, ErrNotFound)
			}
			copy(hashes[i][:], v)
		}
		return hashes, nil
	})
}

// HashReader reads stored tree hashes, one read transaction per call, for
// tlog.ProveRecord, tlog.ProveTree and tlog.TreeHash.
func (s *Store) HashReader() tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) (hashes []tlog.Hash, err error) {
		err = s.view(func(tx *bolt.Tx) error {
			hashes, err = bucketHashReader(tx.Bucket(bucketHashes)).ReadHashes(indexes)
			return err
		})
		return hashes, err
	})
}

// Size is the number of records, which is the size of the tree.
func (s *Store) Size() (uint64, error) {
	var n uint64
	err := s.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketRecords).Sequence()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("size: %w", err)
	}
	return n, nil
}

// TreeHash is the RFC 6962 root hash of the first size records.
func (s *Store) TreeHash(size uint64) (tlog.Hash, error) {
	var h tlog.Hash
	err := s.view(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketRecords).Sequence(); size > n {
			return fmt.Errorf("tree size %d beyond log size %d: %w", size, n, ErrNotFound)
		}
		var err error
		h, err = tlog.TreeHash(int64(size), bucketHashReader(tx.Bucket(bucketHashes)))
		return err
	})
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("tree hash: %w", err)
	}
	return h, nil
}
