package store

import (
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"
)

var _ io.WriterTo = (*Store)(nil)

// WriteTo writes a consistent copy of the database file to w, as of one
// read transaction (bbolt Tx.WriteTo), while appends go on. Open the copy
// with Options.DBPath and ReadOnly, in the live data dir so that the blobs
// it points at are found. It holds a read transaction for as long as w
// takes; the commit loop keeps committing meanwhile, but a commit that must
// grow the file's memory map waits for it.
func (s *Store) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := s.view(func(tx *bolt.Tx) (err error) {
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("snapshot: %w", err)
	}
	return n, nil
}
