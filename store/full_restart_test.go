package store

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/telltale/telltale/internal/tmpfs"
	"github.com/telltale/telltale/internal/wine"
)

// A start on a disk still full, with acknowledged records in the
// write-ahead log that the database has no room for, fails saying so and
// what to do, and loses none of them: once space is back, the next start
// applies them all.
func TestStore_FullDisk_RestartWhileFullLosesNothing(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("skipped: tmpfs is Linux's")
	}
	mnt := tmpfs.Mount(t, 8<<20)
	dir := filepath.Join(mnt, "data")
	unindexed(t, dir, 5)
	tmpfs.FillUp(t, mnt)
	_, err := Open(dir, Options{Now: testClock()})
	if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "5 acknowledged records wait") ||
		!strings.Contains(err.Error(), "free space") {
		t.Fatalf("Open on a full disk with 5 records in the WAL: got %v, want ErrFull saying 5 records wait and to free space", err)
	}
	tmpfs.Drain(t, mnt)
	s := mustOpen(t, dir, Options{Now: testClock()})
	defer s.Close()
	checkURLs(t, s, 5)
}

func TestDiskFree_DataDir(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "windows" {
		t.Skip("skipped: DiskFree measures on Unix and Windows only")
	}
	dir := wine.TempDir(t)
	free, err := DiskFree(dir)
	if err != nil || free == 0 {
		t.Errorf("DiskFree: got %d, %v", free, err)
	}
	if _, err := DiskFree(filepath.Join(dir, "missing")); err == nil {
		t.Errorf("DiskFree of a missing dir: want an error")
	}
}
