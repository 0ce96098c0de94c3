package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/telltale/telltale/internal/wine"
)

// TestCompact_DamagedStore_RefusedAndUntouched: compact panicked with a
// bbolt assertion on a truncated file and replaced an empty one with a
// fresh store, after which nothing reported the damage.
func TestCompact_DamagedStore_RefusedAndUntouched(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) string
		want  error
	}{
		{"truncated", func(t *testing.T) string {
			dir, db := filledStore(t)
			fi, _ := os.Stat(db)
			if err := os.Truncate(db, fi.Size()/2-2*int64(os.Getpagesize())); err != nil {
				t.Fatal(err)
			}
			return dir
		}, ErrDamaged},
		{"empty", func(t *testing.T) string {
			dir, db := filledStore(t)
			if err := os.Truncate(db, 0); err != nil {
				t.Fatal(err)
			}
			return dir
		}, ErrDamaged},
		{"wal lost records", func(t *testing.T) string {
			dir := wine.TempDir(t)
			unindexed(t, dir, 5)
			seg := onlySegment(t, dir)
			offs := frameOffsets(t, mustReadFile(t, seg))
			flipByte(t, seg, offs[2]+frameHeader+20)
			return dir
		}, ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.setup(t)
			db := filepath.Join(dir, DBFile)
			before := mustReadFile(t, db)
			_, err := Compact(dir, 0)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Compact: got %v, want %v", err, tc.want)
			}
			// A refused Open's own transaction (init) may touch the file of
			// an intact database; a damaged one is left byte for byte.
			if after := mustReadFile(t, db); tc.want == ErrDamaged && string(after) != string(before) {
				t.Errorf("Compact changed %s: %d bytes, were %d", DBFile, len(after), len(before))
			}
			if _, err := os.Stat(db + ".compact"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Compact left %s.compact: %v", DBFile, err)
			}
		})
	}
}
