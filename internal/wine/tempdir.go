package wine

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TempDir is t.TempDir, except under Wine, where it makes the directory
// itself and removes it entry by entry: Go 1.26's os.RemoveAll fails there
// ("unlinkat ...: Invalid function"), while os.Remove works.
func TempDir(tb testing.TB) string {
	tb.Helper()
	if !Running() {
		return tb.TempDir()
	}
	dir, err := os.MkdirTemp("", "telltale-test-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		// As testing's own TempDir does on Windows: a handle that a
		// finished test's server goroutine is still closing keeps a file
		// (a spooled body, a blob) from going for a moment ("Sharing
		// violation"), so try again for a while before failing.
		var err error
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if err = removeAll(dir); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			tb.Errorf("remove temp dir: %v", err)
		}
	})
	return dir
}

// removeAll removes dir and what it holds, deepest entries first.
func removeAll(dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(paths) - 1; i >= 0; i-- {
		if err := os.Remove(paths[i]); err != nil {
			return err
		}
	}
	return nil
}
