package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// bbolt maps the whole database file and reads pages straight from the
// mapping: a page beyond the end of a truncated file is a SIGBUS that
// kills the process with a goroutine dump, and bbolt does not check the
// file's size against its meta page (etcd-io/bbolt#105). So Open reads the
// meta pages itself first, as bbolt does (go.etcd.io/bbolt/internal/common:
// meta.go, page.go), and refuses a file too short for the tree they
// describe.

// The layout of a meta page: a 16-byte page header (id, flags, count,
// overflow), then the meta, in the machine's byte order.
const (
	pageHeaderSize = 16
	metaSize       = 64 // magic, version, pageSize, flags (4 each); root bucket (16); freelist, pgid, txid, checksum (8 each)
	metaSummed     = 56 // the checksum (FNV-1a 64) covers the meta up to itself
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
)

// boltMeta is what checkFile needs of a meta page.
type boltMeta struct {
	pageSize uint32
	pgid     uint64 // high water mark: pages [0, pgid) are in the file
	txid     uint64
}

// parseMeta decodes the meta of a page read at its start; ok is false
// when it is not a valid meta (a torn write, garbage, zeroes).
func parseMeta(page []byte) (m boltMeta, ok bool) {
	if len(page) < pageHeaderSize+metaSize {
		return m, false
	}
	b := page[pageHeaderSize : pageHeaderSize+metaSize]
	ne := binary.NativeEndian
	h := fnv.New64a()
	h.Write(b[:metaSummed])
	if ne.Uint32(b[0:]) != boltMagic || ne.Uint32(b[4:]) != boltVersion || ne.Uint64(b[metaSummed:]) != h.Sum64() {
		return m, false
	}
	m = boltMeta{pageSize: ne.Uint32(b[8:]), pgid: ne.Uint64(b[40:]), txid: ne.Uint64(b[48:])}
	return m, m.pageSize >= 512 && m.pageSize&(m.pageSize-1) == 0
}

// checkFile refuses, with ErrDamaged, a database file that bbolt would
// fault on: empty, without a valid meta page, or shorter than the high
// water mark of the meta bbolt would use. A missing file is left to
// bbolt (a writable Open creates it).
func checkFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	// Metas first, size after: a running writer grows the file before
	// it writes a meta that counts the new pages.
	m, found := newestMeta(f)
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	name, size := filepath.Base(path), fi.Size()
	switch {
	case size == 0:
		return fmt.Errorf("%w: %s is empty (0 bytes); restore it from a backup (telltale backup), "+
			"or move it away to start a new, empty store", ErrDamaged, name)
	case !found:
		return fmt.Errorf("%w: %s (%d bytes) has no valid bbolt meta page: it is not a Telltale store, or its "+
			"first pages were overwritten; restore it from a backup (telltale backup)", ErrDamaged, name, size)
	}
	if need := m.pgid * uint64(m.pageSize); uint64(size) < need {
		return fmt.Errorf("%w: %s is truncated: %d bytes, the database needs %d; restore it from a backup (telltale backup)",
			ErrDamaged, name, size, need)
	}
	return nil
}

// newestMeta returns the valid meta with the highest txid, as bbolt
// chooses. The second meta page is one page size in: the first's, or,
// when the first is damaged, whichever candidate size holds a valid meta
// of that size (as bbolt's getPageSize tries them).
func newestMeta(r io.ReaderAt) (boltMeta, bool) {
	buf := make([]byte, pageHeaderSize+metaSize)
	read := func(off int64) (boltMeta, bool) {
		if _, err := r.ReadAt(buf, off); err != nil {
			return boltMeta{}, false
		}
		return parseMeta(buf)
	}
	m0, ok0 := read(0)
	offsets := []int64{1 << 10, 2 << 10, 4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10}
	if ok0 {
		offsets = []int64{int64(m0.pageSize)}
	}
	for _, off := range offsets {
		m1, ok1 := read(off)
		if !ok1 || int64(m1.pageSize) != off {
			continue
		}
		if !ok0 || m1.txid > m0.txid {
			return m1, true
		}
		break
	}
	return m0, ok0
}
