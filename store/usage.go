package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Usage is what a store takes on disk.
type Usage struct {
	// DB is the database's pages up to the highest in use: what the
	// records take, free pages within included.
	DB int64
	// DBFile is the database file's size. On Windows bbolt grows the file
	// to its whole memory map (doubling up to 1 GiB, then by 1 GiB), so
	// this can be up to twice DB there; elsewhere the two are close.
	DBFile    int64
	Blobs     int64 // blob files
	BlobFiles int
}

// Total is DB plus Blobs.
func (u Usage) Total() int64 { return u.DB + u.Blobs }

// Usage measures the database file and walks the blobs directory: cheap
// enough for once a minute, not for every request.
func (s *Store) Usage() (Usage, error) {
	var u Usage
	// The pages first (the read waits for the indexer), then the file,
	// which only grows: a commit between the two cannot make DB exceed it.
	err := s.view(func(tx *bolt.Tx) error {
		u.DB = tx.Size()
		return nil
	})
	if err != nil {
		return u, fmt.Errorf("usage: %w", err)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		return u, fmt.Errorf("usage: %w", err)
	}
	u.DBFile = fi.Size()
	err = filepath.WalkDir(filepath.Join(s.dir, BlobsDir), func(_ string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // pruned under our feet
		}
		if err != nil || d.IsDir() {
			return err
		}
		if info, err := d.Info(); err == nil {
			u.Blobs += info.Size()
			u.BlobFiles++
		}
		return nil
	})
	if err != nil {
		return u, fmt.Errorf("usage: %w", err)
	}
	return u, nil
}
