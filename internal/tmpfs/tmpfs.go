// Package tmpfs gives tests a small file system they can fill: a tmpfs
// mounted for the test (Linux, as root), so that a full disk is a real
// ENOSPC from the kernel, not a simulation.
//
// Mount skips the test, saying why, where mounting is impossible (not
// root, not Linux, a container without CAP_SYS_ADMIN), except when CI is
// "true": CI runs as root, and a test that skips there proves nothing.
package tmpfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fill writes filler files in dir until about leave bytes are free (0:
// until the file system refuses another byte).
func fill(tb testing.TB, dir string, leave int64) {
	tb.Helper()
	f, err := os.CreateTemp(dir, "filler-*")
	if err != nil {
		tb.Fatalf("filler: %v", err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for size := int64(len(chunk)); size > 0; size /= 2 {
		for {
			free, err := Free(dir)
			if err != nil {
				tb.Fatal(err)
			}
			if leave > 0 && free < uint64(leave)+uint64(size) {
				break
			}
			if _, err := f.Write(chunk[:size]); err != nil {
				if !NoSpace(err) {
					tb.Fatalf("filler: %v", err)
				}
				break
			}
		}
	}
	if err := f.Sync(); err != nil && !NoSpace(err) {
		tb.Fatalf("filler: %v", err)
	}
}

// Fill fills dir's file system until about leave bytes are free.
func Fill(tb testing.TB, dir string, leave int64) {
	tb.Helper()
	if leave <= 0 {
		tb.Fatalf("tmpfs.Fill: leave %d: use FillUp", leave)
	}
	fill(tb, dir, leave)
}

// FillUp fills dir's file system to the last byte.
func FillUp(tb testing.TB, dir string) {
	tb.Helper()
	fill(tb, dir, 0)
}

// Drain removes the filler files in dir.
func Drain(tb testing.TB, dir string) {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "filler-*"))
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			tb.Fatal(err)
		}
	}
}
