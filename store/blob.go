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
	f, moved, err := b.s.moveBlob(key, b.file)
	b.file = f
	if moved {
		b.path, b.temp = b.s.blobPath(key), false
	}
	if err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	return nil
}

// moveBlob renames the spooled file f to the blob path of key, durably,
// unless the blob exists already; then f stays where it is. It returns the
// file to keep: Windows renames a file only if every handle open on it
// allows FILE_SHARE_DELETE, which os.OpenFile's handles do not ("The
// process cannot access the file because it is being used by another
// process"; https://github.com/golang/go/issues/32088), so f is closed
// before the rename; after a failed rename it is reopened where it is.
// On an error the Body keeps f, closed or not, and its path tells Close
// what to remove.
func (s *Store) moveBlob(key string, f *os.File) (kept *os.File, moved bool, err error) {
	path := s.blobPath(key)
	if _, err := os.Stat(path); err == nil {
		return f, false, nil
	}
	if err := f.Sync(); err != nil {
		return f, false, err
	}
	dir := filepath.Dir(path)
	if err := os.Mkdir(dir, 0o700); err == nil {
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return f, false, err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return f, false, err
	}
	from := f.Name()
	if err := f.Close(); err != nil {
		return reopen(f, from, err)
	}
	if err := os.Rename(from, path); err != nil {
		return reopen(f, from, err)
	}
	// The Body keeps f, closed: Stored opens the blob by its path, and no
	// handle stays open on it (Windows could not delete it while one did).
	return f, true, syncDir(dir)
}

// reopen opens the spooled file again after a failed move, so that the Body
// still holds it and Close still removes it; it returns the move's error.
func reopen(f *os.File, path string, moveErr error) (*os.File, bool, error) {
	g, err := os.Open(path)
	if err != nil {
		return f, false, errors.Join(moveErr, err)
	}
	return g, false, moveErr
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
