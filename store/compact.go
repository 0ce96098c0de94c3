package store

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"golang.org/x/mod/sumdb/tlog"
)

// CompactResult gives the database file size before and after Compact.
type CompactResult struct {
	Before, After int64
	Records       uint64
}

// Compact rewrites the database of the store in dir into a new file with
// no free pages (bbolt keeps the pages that pruning and deleting freed for
// reuse; only a rewrite gives them back to the file system), checks that
// the copy holds the same log (size and root hash), and swaps it in. It
// needs the store to itself: while `telltale serve` holds it, it fails
// with ErrLocked after timeout (0 means DefaultTimeout).
func Compact(dir string, timeout time.Duration) (CompactResult, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		return CompactResult{}, fmt.Errorf("compact: %w", err)
	}
	// The checks every Open makes: a file bbolt would fault on, or
	// initialise afresh (an empty one), is ErrDamaged; a write-ahead log
	// left by a crash is applied, and one that lost records is refused.
	if err := checkFile(path); err != nil {
		return CompactResult{}, fmt.Errorf("compact: %w", err)
	}
	if err := applyWAL(dir, Options{Timeout: timeout}); err != nil {
		return CompactResult{}, fmt.Errorf("compact: %w", err)
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, berrors.ErrTimeout) {
		return CompactResult{}, fmt.Errorf("compact: %w", ErrLocked)
	}
	if err != nil {
		return CompactResult{}, fmt.Errorf("compact: %w", err)
	}
	defer src.Close() // a no-op once closed below
	if hasSegments(filepath.Join(dir, WALDir)) {
		// A serve that started and died since applyWAL: its records are
		// not in the file about to be copied.
		return CompactResult{}, fmt.Errorf("compact: the write-ahead log holds records that are not in %s yet: "+
			"run telltale verify once to apply them, then compact", DBFile)
	}
	res, err := compactInto(src, path+".compact")
	if err != nil {
		os.Remove(path + ".compact")
		return res, fmt.Errorf("compact: %w", err)
	}
	if err := swap(src, path+".compact", path); err != nil {
		return res, fmt.Errorf("compact: %w", err)
	}
	return res, nil
}

// compactInto copies src into a new database at tmp, checks the copy and
// syncs it. A page of src that bbolt cannot read (it panics on some) is
// ErrDamaged, and the original is left as it is.
func compactInto(src *bolt.DB, tmp string) (res CompactResult, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: reading %s failed (%v): restore it from a backup (telltale backup)", ErrDamaged, DBFile, r)
		}
	}()
	var root tlog.Hash
	err = src.View(func(tx *bolt.Tx) error {
		if err := checkVersion(tx); err != nil {
			return err
		}
		res.Before = tx.Size()
		var err error
		res.Records, root, err = logHead(tx)
		return err
	})
	if err != nil {
		return res, err
	}
	var counts map[string]bucketCount
	if err := src.View(func(tx *bolt.Tx) error { counts = bucketCounts(tx); return nil }); err != nil {
		return res, err
	}
	os.Remove(tmp) // left by an earlier run that died
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		return res, err
	}
	err = bolt.Compact(dst, src, 64<<20)
	if err == nil {
		err = dst.View(func(tx *bolt.Tx) error {
			res.After = tx.Size()
			if err := checkVersion(tx); err != nil {
				return err
			}
			n, h, err := logHead(tx)
			if err == nil && (n != res.Records || h != root) {
				err = fmt.Errorf("the copy holds %d records with root %v, the store %d with root %v", n, h, res.Records, root)
			}
			if got := bucketCounts(tx); err == nil && !maps.Equal(got, counts) {
				err = fmt.Errorf("the copy's buckets %v differ from the store's %v", got, counts)
			}
			return err
		})
	}
	if err = errors.Join(err, dst.Close()); err != nil {
		return res, err
	}
	// bbolt synced every transaction of the copy; sync the file once more
	// as a whole, and check it as Open would, before it replaces anything.
	if err := syncFile(tmp); err != nil {
		return res, err
	}
	return res, checkFile(tmp)
}

// bucketCount is what compactInto compares of each top-level bucket.
type bucketCount struct {
	keys int
	seq  uint64
}

func bucketCounts(tx *bolt.Tx) map[string]bucketCount {
	out := map[string]bucketCount{}
	tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		out[string(name)] = bucketCount{keys: b.Stats().KeyN, seq: b.Sequence()}
		return nil
	})
	return out
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// logHead is the size and root hash of the log in tx.
func logHead(tx *bolt.Tx) (uint64, tlog.Hash, error) {
	n := tx.Bucket(bucketRecords).Sequence()
	h, err := tlog.TreeHash(int64(n), bucketHashReader(tx.Bucket(bucketHashes)))
	return n, h, err
}

// swap replaces path by tmp durably. Where the file system allows it, the
// rename happens while src still holds the lock, so that no `serve` can
// open the old file in between; Windows refuses to rename over an open
// file, so there src is closed first.
func swap(src *bolt.DB, tmp, path string) error {
	if runtime.GOOS == "windows" {
		if err := src.Close(); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	return src.Close()
}
