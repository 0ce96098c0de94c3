package admin

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// An expired bundle whose file cannot be deleted yet (on Windows, while a
// download still reads it) is deleted by a later sweep, not forgotten.
func TestExports_Sweep_RetriesAFileItCouldNotDelete(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	e := newExports(t.TempDir(), func() time.Time { return now })
	// A non-empty directory stands for the held file: os.Remove fails on
	// it on every platform.
	path := filepath.Join(e.dir, "telltale-export-1.zip")
	if err := os.MkdirAll(filepath.Join(path, "held"), 0o700); err != nil {
		t.Fatal(err)
	}
	e.files["a"] = &exportFile{path: path, created: now}
	now = now.Add(exportTTL + time.Minute)
	e.sweep()
	if _, ok := e.files["a"]; ok {
		t.Fatal("an expired bundle is still listed")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the held file: %v, want it still there", err)
	}
	os.Remove(filepath.Join(path, "held")) // the reader lets go
	e.sweep()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after the reader let go: stat %v, want the file deleted", err)
	}
}
