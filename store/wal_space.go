package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A full disk. A segment preallocates Options.SegmentSize, but near the
// limit only a quarter of what the file system has free (at least
// minStep, rounded to whole blocks): the rest stays for bbolt, which must
// grow to index the records, and for blobs, so that a few requests a day
// keep flowing at a few MiB free. Options.OnSpace hears of every such
// step, so that serve alerts before the disk is full.
//
// The log keeps a reserve, DIR/wal/reserve: Options.ReserveSize bytes,
// preallocated by Open, that only the records saying what could not be
// recorded may use (standIn). When no segment can be had, the log is full:
// Append refuses every other record at once, with an error wrapping
// ErrFull, and the stand-ins go into the reserve, which becomes the next
// segment (renamed, so it needs no new blocks). While full, the commit
// loop looks at the free space every probeEvery; once there is room it
// makes a new reserve and takes every record again.

const (
	// DefaultReserveSize is the reserve's size: some thousand stand-in
	// records of a few hundred bytes, days of a license server's traffic.
	DefaultReserveSize = 1 << 20
	reserveFile        = "reserve"
	// minStep is the smallest segment preallocation.
	minStep = 64 << 10
	// maxStandIn is the largest frame the reserve takes: a stand-in with
	// a huge head must not use it up.
	maxStandIn = 16 << 10
	// probeEvery is how often a full log looks for space again.
	probeEvery = time.Second
	// Records durable in the WAL but not in bbolt while the indexer fails:
	// past maxFailingLag, Append refuses all but stand-ins; past maxLag,
	// those too. The WAL holds them all; this bounds the memory.
	maxFailingLag = 256
	maxLag        = 4096
)

// ErrFull means the disk that holds the store is full: the write-ahead
// log could get no space for a segment, or bbolt could not grow to index
// records. Append refuses records with an error wrapping it (and the
// system's error), at once; Writable returns it while it lasts. A record
// that says what could not be recorded (RequestNotRecorded, NotRecorded)
// may still be taken into the log's reserve.
var ErrFull = errors.New("disk full")

// RequestNotRecorded starts the Error of a KindDenied record that stands
// in for a request the store could not record, and which was therefore
// not forwarded.
const RequestNotRecorded = "request not recorded"

// standIn reports whether r says what the store could not record, so that
// the log's reserve may take it: no body, an Error that says so.
func standIn(r *Record) bool {
	if r.Body.SHA256 != "" || r.Body.Truncated || r.RequestBody != nil {
		return false
	}
	switch r.Kind {
	case KindResponse:
		return strings.HasPrefix(r.Error, NotRecorded)
	case KindDenied:
		return strings.HasPrefix(r.Error, RequestNotRecorded)
	}
	return false
}

// noSpace wraps err, a file system's no-space error, in ErrFull.
func noSpace(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrFull, what, err)
}

// stepSize is how much a new segment that must hold need bytes
// preallocates: SegmentSize, or near the limit a quarter of what is free.
func (w *wal) stepSize(need int64) (int64, error) {
	size := max(w.segSize, blocks(need))
	free, err := w.freeSpace(w.dir)
	if err != nil {
		return size, nil // unmeasured: preallocate will tell
	}
	if q := int64(free/4) &^ 4095; q < size {
		size = max(q, blocks(max(need, minStep)))
		if w.onSpace != nil {
			w.onSpace(free, nil)
		}
	}
	if uint64(size) > free {
		return 0, noSpace(fmt.Sprintf("%d bytes free, a segment needs %d", free, size), errNoSpace)
	}
	return size, nil
}

// blocks rounds n up to whole 4 KiB blocks.
func blocks(n int64) int64 { return (n + 4095) &^ 4095 }

// setFull marks the log full: only stand-ins are taken, into the reserve.
func (w *wal) setFull(err error) {
	if w.noRoom == nil && w.onSpace != nil {
		free, _ := w.freeSpace(w.dir)
		w.onSpace(free, err)
	}
	w.noRoom = err
}

// probe ends the full state when the file system has room again for a
// new reserve and a few segment steps.
func (w *wal) probe() {
	if w.noRoom == nil {
		return
	}
	free, err := w.freeSpace(w.dir)
	if err != nil || free < uint64(w.reserveSize+4*minStep) {
		return
	}
	if !w.reserved {
		if err := w.makeReserve(); err != nil {
			return
		}
	}
	w.noRoom = nil
}

// openReserve finds the reserve at Open, or makes it. Without room for it
// the log works on; it then has no reserve until the disk has room.
func (w *wal) openReserve() error {
	os.Remove(filepath.Join(w.dir, reserveFile+".tmp"))
	if fi, err := os.Stat(filepath.Join(w.dir, reserveFile)); err == nil && fi.Size() >= w.reserveSize {
		w.reserved = true
		return nil
	}
	return w.makeReserve()
}

// makeReserve preallocates the reserve, durably, under its name.
func (w *wal) makeReserve() error {
	tmp := filepath.Join(w.dir, reserveFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("wal reserve: %w", err)
	}
	err = preallocate(f, w.reserveSize)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr // closed before the rename: Windows renames no open file
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(w.dir, reserveFile))
	}
	if err == nil {
		err = syncDir(w.dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("wal reserve: %w", err)
	}
	w.reserved = true
	return nil
}

// takeReserve makes the reserve the next segment. A rename and the head
// written in place need no new blocks on a full disk.
func (w *wal) takeReserve() error {
	num := w.nextNum
	path := filepath.Join(w.dir, segmentName(num))
	if err := os.Rename(filepath.Join(w.dir, reserveFile), path); err != nil {
		return fmt.Errorf("take wal reserve: %w", err)
	}
	w.reserved = false
	w.nextNum++ // the name is taken, whatever happens next
	flags := os.O_RDWR
	if w.directIO {
		flags |= directFlags
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		return fmt.Errorf("take wal reserve: %w", err)
	}
	if err := writeHeadInPlace(w.dir, num); err != nil {
		f.Close()
		return fmt.Errorf("take wal reserve: head: %w", err)
	}
	if err := syncDir(w.dir); err != nil {
		f.Close()
		return fmt.Errorf("take wal reserve: %w", err)
	}
	w.cur = &segment{f: f, num: num, size: w.reserveSize}
	return nil
}

// writeHeadInPlace overwrites the head with num: its length never changes
// (segmentName is fixed-width), so no block is allocated. Without a head
// it writes one the usual way.
func writeHeadInPlace(dir string, num uint64) error {
	f, err := os.OpenFile(filepath.Join(dir, headFile), os.O_WRONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return writeHead(dir, num)
	}
	if err != nil {
		return err
	}
	_, err = f.WriteAt([]byte(segmentName(num)+"\n"), 0)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
