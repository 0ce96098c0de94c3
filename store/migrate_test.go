package store

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// testdata/v1store was written by Telltale before v2 leaves (commit
// e893a09): a token request with its response, a GET, and a checkpoint.
const v1Store = "testdata/v1store"

func mustJSONBytes(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// copyStore copies a data dir for a test to change.
func copyStore(tb testing.TB, src string) string {
	tb.Helper()
	dst := newTestDir(tb)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return dst
}

func storedVersion(tb testing.TB, s *Store) string {
	tb.Helper()
	var v string
	s.view(func(tx *bolt.Tx) error { v = string(tx.Bucket(bucketMeta).Get(keyVersion)); return nil })
	return v
}

func leafVersions(tb testing.TB, s *Store) string {
	tb.Helper()
	var vs []string
	err := s.Records(0, func(r *Record) error {
		leaf, err := LeafData(r)
		first, _, _ := strings.Cut(string(leaf), "\n")
		vs = append(vs, strings.TrimPrefix(first, "telltale-leaf/"))
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Join(vs, " ")
}

// A version 1 store opens read-only as it is, and a writable Open moves
// it to version 2: its v1 leaves stay, new records get v2 leaves, and the
// tree (checked by newTestDir's cleanup from LeafData) holds both.
func TestStore_Open_MigratesV1Store(t *testing.T) {
	dir := copyStore(t, v1Store)
	ro := mustOpen(t, dir, Options{ReadOnly: true})
	if v, lv := storedVersion(t, ro), leafVersions(t, ro); v != "1" || lv != "v1 v1 v1" {
		t.Errorf("read-only v1 store: got version %q, leaves %q, want 1 and three v1", v, lv)
	}
	before, _ := ro.TreeHash(3)
	ro.Close()

	s, err := Open(dir, Options{Now: testClock()})
	if err != nil {
		t.Fatalf("Open of a v1 store: %v", err)
	}
	defer s.Close()
	if v := storedVersion(t, s); v != formatVersion {
		t.Errorf("version after a writable Open: got %q, want %q", v, formatVersion)
	}
	// (Request 3 has no response: a writable Open may append one that
	// says so, with a v2 leaf.)
	mustAppend(t, s, request("example.com", "/after"), []byte("new"))
	mustAppend(t, s, &Record{Kind: KindTunnel, Host: "t.example"}, nil)
	if lv := leafVersions(t, s); !strings.HasPrefix(lv, "v1 v1 v1 v2 v2") || strings.Count(lv, "v1") != 3 {
		t.Errorf("leaves after appending: got %q, want three v1 then only v2", lv)
	}
	if after, _ := s.TreeHash(3); after != before {
		t.Errorf("TreeHash(3) changed with the migration: got %v, want %v", after, before)
	}
}

func TestStore_Open_RefusesUnknownVersion(t *testing.T) {
	dir := copyStore(t, v1Store)
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyVersion, []byte("3")) })
	db.Close()
	for _, ro := range []bool{true, false} {
		if s, err := Open(dir, Options{ReadOnly: ro}); err == nil || !strings.Contains(err.Error(), `version "3"`) {
			t.Errorf("Open (read-only %v) of a version 3 store: got %v, want a version error", ro, err)
			if s != nil {
				s.Close()
			}
		}
	}
}
