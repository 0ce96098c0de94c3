package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/telltale/telltale/internal/wine"
)

// filledStore makes a closed store of a few hundred records in a dir that
// is not integrity-checked (the tests damage it), and returns its path.
func filledStore(t *testing.T) (dir, db string) {
	t.Helper()
	dir = wine.TempDir(t)
	s, err := Open(dir, Options{Now: testClock()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		mustAppend(t, s, request("las.cloud.com", fmt.Sprintf("/%d", i)), []byte(strings.Repeat("x", 500+i)))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, DBFile)
}

func TestOpen_TruncatedFile_ErrDamagedNotSIGBUS(t *testing.T) {
	dir, db := filledStore(t)
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	// Just under half: bbolt grows the file to a power of two, so its high
	// water mark may sit a page below the middle.
	half := fi.Size()/2 - 2*int64(os.Getpagesize())
	if err := os.Truncate(db, half); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{true, false} {
		_, err := Open(dir, Options{ReadOnly: ro})
		if !errors.Is(err, ErrDamaged) {
			t.Fatalf("Open(ReadOnly %v) of a file truncated to half: got %v, want ErrDamaged", ro, err)
		}
		var size, need int64
		_, serr := fmt.Sscanf(err.Error(), "open store: store file damaged: telltale.db is truncated: %d bytes, the database needs %d;", &size, &need)
		if serr != nil || size != half || need <= half || need > fi.Size() || !strings.HasSuffix(err.Error(), "; restore it from a backup (telltale backup)") {
			t.Errorf("got %q, want it to say the file has %d bytes of the %d or fewer it needs, and how to restore it", err, half, fi.Size())
		}
	}
	if got, _ := os.Stat(db); got.Size() != half {
		t.Errorf("a refused Open changed the file: %d bytes, want %d", got.Size(), half)
	}
}

func TestOpen_EmptyFile_ErrDamagedNotBadFileDescriptor(t *testing.T) {
	dir := wine.TempDir(t)
	if err := os.WriteFile(filepath.Join(dir, DBFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{true, false} {
		_, err := Open(dir, Options{ReadOnly: ro})
		if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "telltale.db is empty (0 bytes); restore it from a backup") {
			t.Errorf("Open(ReadOnly %v) of an empty file: got %v, want ErrDamaged saying it is empty", ro, err)
		}
	}
}

func TestOpen_NoValidMeta_ErrDamaged(t *testing.T) {
	dir := wine.TempDir(t)
	if err := os.WriteFile(filepath.Join(dir, DBFile), []byte(strings.Repeat("not a database. ", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, Options{ReadOnly: true})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "has no valid bbolt meta page") {
		t.Errorf("Open of a file of text: got %v, want ErrDamaged saying it has no meta page", err)
	}
}

// bbolt opens a file whose newer meta page is torn with the other one;
// so must the check.
func TestOpen_OneMetaPageDamaged_StillOpens(t *testing.T) {
	dir, db := filledStore(t)
	data, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	m0, _ := parseMeta(data)
	m1, _ := parseMeta(data[m0.pageSize:])
	newer := int64(0)
	if m1.txid > m0.txid {
		newer = int64(m0.pageSize)
	}
	f, err := os.OpenFile(db, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(make([]byte, metaSize), newer+pageHeaderSize)
	f.Close()
	s, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("Open with the newer meta page (at %d) zeroed: %v", newer, err)
	}
	defer s.Close()
	if _, err := s.List(Query{}); err != nil {
		t.Errorf("List: %v", err)
	}
}

// A file truncated under an open store faults on the missing pages: a
// read says ErrDamaged instead of killing the process.
func TestStore_TruncatedWhileOpen_ReadsFailWithErrDamaged(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows refuses to truncate a mapped file (ERROR_USER_MAPPED_FILE), so this cannot happen there")
	}
	dir, db := filledStore(t)
	s, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.Truncate(db, 2*int64(os.Getpagesize())); err != nil {
		t.Fatal(err)
	}
	_, err = s.List(Query{})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "was it truncated while open?") {
		t.Errorf("List after the file was truncated: got %v, want ErrDamaged", err)
	}
}
