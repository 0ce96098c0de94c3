package wine

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
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
		if err := removeAll(dir); err != nil {
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
