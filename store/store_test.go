package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/internal/wine"
)

// sum is the hex SHA-256 of s.
func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestStore_Open_CreatesLayout(t *testing.T) {
	dir := filepath.Join(wine.TempDir(t), "data")
	t.Cleanup(func() { checkIntegrity(t, dir) })
	s := mustOpen(t, dir, Options{})
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	// Windows has no mode bits (https://pkg.go.dev/os#Chmod): the service
	// locks the data dir down with an ACL instead.
	if got, want := fi.Mode().Perm(), fs.FileMode(0o600); got != want && runtime.GOOS != "windows" {
		t.Errorf("db mode: got %v, want %v", got, want)
	}
	for _, d := range []string{BlobsDir, TmpDir} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: got %v, want a directory", d, err)
		}
	}
	if n, err := s.Size(); err != nil || n != 0 {
		t.Errorf("Size: got %d, %v, want 0", n, err)
	}
}

func TestStore_Open_RemovesStaleTmpFiles(t *testing.T) {
	dir := newTestDir(t)
	if err := os.MkdirAll(filepath.Join(dir, TmpDir), 0o700); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, TmpDir, "body-123")
	if err := os.WriteFile(stale, []byte("left by a crash"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, dir, Options{})
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale tmp file: got %v, want it removed", err)
	}
}

func TestStore_Open_LockedByAnotherHandle(t *testing.T) {
	dir := newTestDir(t)
	mustOpen(t, dir, Options{})
	for _, readOnly := range []bool{true, false} {
		start := time.Now()
		s, err := Open(dir, Options{ReadOnly: readOnly, Timeout: 100 * time.Millisecond})
		if err == nil {
			s.Close()
		}
		if !errors.Is(err, ErrLocked) {
			t.Errorf("ReadOnly=%v: got %v, want ErrLocked", readOnly, err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("ReadOnly=%v: took %v, want about the 100ms timeout", readOnly, took)
		}
	}
}

func TestStore_Open_ReadOnly(t *testing.T) {
	dir := newTestDir(t)
	if _, err := Open(dir, Options{ReadOnly: true}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadOnly open of no store: got %v, want fs.ErrNotExist", err)
	}
	w := mustOpen(t, dir, Options{})
	mustAppend(t, w, request("example.com", "/"), []byte("hi"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, dir, Options{ReadOnly: true})
	if got, err := r.List(Query{}); err != nil || len(got) != 1 {
		t.Errorf("List: got %d captures, %v, want 1", len(got), err)
	}
	_, err := r.Append(context.Background(), request("example.com", "/"), nil)
	if !errors.Is(err, ErrReadOnly) {
		t.Errorf("Append: got %v, want ErrReadOnly", err)
	}
}

func TestStore_Reopen_KeepsEverything(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{Now: testClock()})
	big := make([]byte, 300<<10)
	big[7] = 7
	a := mustAppend(t, s, request("a.example", "/"), []byte("small"))
	mustAppend(t, s, response(a), big)
	mustAppend(t, s, &Record{Kind: KindTunnel, Host: "b.example", BytesUp: 3}, nil)
	want, err := s.List(Query{})
	if err != nil {
		t.Fatal(err)
	}
	th, _ := s.TreeHash(3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, dir, Options{Now: testClock()})
	got, err := s.List(Query{})
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, want)
	if got, err := s.TreeHash(3); err != nil || got != th {
		t.Errorf("TreeHash(3) after reopen: got %v, %v, want %v", got, err, th)
	}
	if got := mustRead(t, s, sha(big)); len(got) != len(big) || got[7] != 7 {
		t.Errorf("large body after reopen: got %d bytes, want %d", len(got), len(big))
	}
	if seq := mustAppend(t, s, request("c.example", "/"), nil); seq != 4 {
		t.Errorf("next Seq after reopen: got %d, want 4", seq)
	}
}

func TestStore_Close_ThenAppendFails(t *testing.T) {
	s := newTestStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
	_, err := s.Append(context.Background(), request("example.com", "/"), nil)
	if !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: got %v, want ErrClosed", err)
	}
	if _, err := s.List(Query{}); !errors.Is(err, ErrClosed) {
		t.Errorf("List after Close: got %v, want ErrClosed", err)
	}
}

func TestStore_TreeHash_EmptyAndBeyond(t *testing.T) {
	s := newTestStore(t)
	empty := tlog.Hash(sha256.Sum256(nil))
	if got, err := s.TreeHash(0); err != nil || got != empty {
		t.Errorf("TreeHash(0): got %v, %v, want %v", got, err, empty)
	}
	if _, err := s.TreeHash(1); !errors.Is(err, ErrNotFound) {
		t.Errorf("TreeHash(1) of empty log: got %v, want ErrNotFound", err)
	}
}

// sha is the hex SHA-256 of b.
func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
