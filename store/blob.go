package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// blobPath is where the stored bytes with content address key live when
// they are too large for the bodies bucket: DATA/blobs/ab/abcdef...
func (s *Store) blobPath(key string) string {
	return filepath.Join(s.dir, BlobsDir, key[:2], key)
}

// storeBlob makes the spooled file durable under its content address:
// fsync, rename into blobs, fsync the directory. An existing blob is the
// same bytes, so the spooled file is left for Close to remove.
func (b *Body) storeBlob(key string) error {
	if !b.temp {
		return nil // moved by an earlier Append of this body
	}
	moved, err := b.s.moveBlob(key, b.file)
	if err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	if moved {
		b.path, b.temp = b.s.blobPath(key), false
	}
	return nil
}

// moveBlob renames f to the blob path of key, durably, unless the blob
// exists already; then f stays where it is.
func (s *Store) moveBlob(key string, f *os.File) (moved bool, err error) {
	path := s.blobPath(key)
	if _, err := os.Stat(path); err == nil {
		return false, nil
	}
	if err := f.Sync(); err != nil {
		return false, err
	}
	dir := filepath.Dir(path)
	if err := os.Mkdir(dir, 0o700); err == nil {
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return false, err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return false, err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return false, err
	}
	return true, syncDir(dir)
}

// OpenBody returns the stored bytes with the given content address (a
// BodyRef's StoredKey) and their size.
func (s *Store) OpenBody(sha256hex string) (io.ReadCloser, int64, error) {
	if !isSHA256(sha256hex) {
		return nil, 0, fmt.Errorf("body %q: %w", sha256hex, ErrNotFound)
	}
	var data []byte
	found := false
	err := s.view(func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bucketBodies).Cursor().Seek([]byte(sha256hex))
		if found = string(k) == sha256hex; found {
			data = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("body %s: %w", sha256hex, err)
	}
	if found {
		return io.NopCloser(bytes.NewReader(data)), int64(len(data)), nil
	}
	f, err := os.Open(s.blobPath(sha256hex))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("body %s: %w", sha256hex, s.missing(sha256hex))
	}
	if err != nil {
		return nil, 0, fmt.Errorf("body %s: %w", sha256hex, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, fmt.Errorf("body %s: %w", sha256hex, err)
	}
	return f, fi.Size(), nil
}
