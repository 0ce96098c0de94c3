package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/store"
)

func newBackupCmd() *cobra.Command {
	var data, out string
	var noBlobs bool
	cmd := &cobra.Command{
		Use:   "backup -o FILE",
		Short: "Copy the store consistently, also while serve runs: the database to FILE, large bodies to FILE.blobs/",
		Long: `backup writes a consistent copy of the store's database (one bbolt read
transaction) to FILE, whether or not serve is running: while serve holds the
store, the copy comes from its admin API. Bodies larger than 256 KiB live in
DATA/blobs, outside the database; they are copied to FILE.blobs/ (only the
ones not copied before). The copy is opened and its log checked before
backup reports success.

To restore: stop serve, copy FILE to DATA/telltale.db and the contents of
FILE.blobs/ to DATA/blobs/.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usage(errors.New("backup: -o FILE is required"))
			}
			if err := needStore(data); err != nil {
				return err
			}
			size, err := snapshotTo(data, out, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			records, err := checkCopy(data, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d records, %s\n", out, records, configs.ByteSize(size))
			if noBlobs {
				return nil
			}
			n, copied, err := copyBlobs(filepath.Join(data, store.BlobsDir), out+".blobs", cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d blob files (%d new)\n", out+".blobs", n, copied)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", defaultDataDir, "data dir")
	f.StringVarP(&out, "output", "o", "", "database copy to write (required)")
	f.BoolVar(&noBlobs, "no-blobs", false, "copy only the database, not DATA/blobs")
	return cmd
}

// snapshotTo writes the snapshot to out.tmp, fsyncs it and renames it to
// out, so that out is never a partial copy. A terminal at progress sees
// the bytes copied of the database file's size.
func snapshotTo(dir, out string, progress io.Writer) (int64, error) {
	tmp := out + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	var size int64 = -1
	if fi, err := os.Stat(filepath.Join(dir, store.DBFile)); err == nil {
		size = fi.Size()
	}
	b := newBar(progress, size, "backup: copying "+store.DBFile, "", true)
	n, err := writeSnapshot(dir, b.writer(f))
	b.end(err == nil)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, out)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// writeSnapshot copies the database from the store file, or from the
// running server's admin API while serve holds it.
func writeSnapshot(dir string, w io.Writer) (int64, error) {
	st, err := store.Open(dir, store.Options{ReadOnly: true, Timeout: 200 * time.Millisecond})
	if err == nil {
		defer st.Close()
		return st.WriteTo(w)
	}
	if !errors.Is(err, store.ErrLocked) {
		return 0, err
	}
	api, err := serverAPI(dir)
	if err != nil {
		return 0, err
	}
	return api.Snapshot(w)
}

// checkCopy opens the copy as a store and checks its log's root hash.
func checkCopy(dir, file string) (uint64, error) {
	st, err := store.Open(dir, store.Options{ReadOnly: true, DBPath: file, Timeout: time.Second})
	if err != nil {
		return 0, fmt.Errorf("backup: the copy does not open: %w", err)
	}
	defer st.Close()
	n, err := st.Size()
	if err == nil {
		_, err = st.TreeHash(n)
	}
	if err != nil {
		return 0, fmt.Errorf("backup: the copy's log does not check: %w", err)
	}
	return n, nil
}

// copyBlobs copies the blob files that dst does not have yet. Blobs are
// immutable and named by their SHA-256, so a file present with the same
// size is the same file; one pruned meanwhile is skipped. A terminal at
// progress sees the files looked at and their rate.
func copyBlobs(src, dst string, progress io.Writer) (total, copied int, err error) {
	var b *bar
	if n := countFiles(src); n > 0 && terminal(progress) {
		b = newBar(progress, n, "backup: blob files (copying those not there yet)", "files", false)
		defer func() { b.end(err == nil) }()
	}
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		total++
		b.add(1)
		info, err := d.Info()
		if err != nil {
			return nil // pruned under our feet
		}
		if fi, err := os.Stat(to); err == nil && fi.Size() == info.Size() {
			return nil
		}
		if err := copyFile(path, to); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		copied++
		return nil
	})
	if err != nil {
		return total, copied, fmt.Errorf("backup blobs: %w", err)
	}
	return total, copied, nil
}

// countFiles counts the files under dir, for a progress bar's total.
func countFiles(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return err
	}
	out, err := os.OpenFile(to+".tmp", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(to+".tmp", to)
	}
	if err != nil {
		os.Remove(to + ".tmp")
	}
	return err
}
