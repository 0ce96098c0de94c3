package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The write-ahead log: what makes an Append durable. The commit loop
// writes each group of records as frames to the current segment file
// under DIR/wal and flushes it once (fdatasync); the indexer then applies
// them to bbolt in large transactions, and a segment is removed once every
// record in it is in bbolt and bbolt has synced. See doc.go.

// WALDir is the write-ahead log's directory inside the data directory.
const WALDir = "wal"

// DefaultSegmentSize is how much space each WAL segment preallocates.
const DefaultSegmentSize = 64 << 20

const (
	frameHeader = 8        // uint32 payload length, uint32 CRC-32C of the payload
	maxFrame    = 64 << 20 // larger payloads are refused: bodies above InlineMax live in blobs
	segExt      = ".wal"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// walEntry is one record as the WAL holds it and the indexer applies it.
type walEntry struct {
	seq     uint64
	value   []byte        // the record's stored value (JSON)
	leaf    []byte        // its leaf data
	bodies  []*inlineBody // for the bodies bucket: the stored body, a sealed body's redacted copy
	kind    Kind          // from the record, for the indexes
	capture uint64
	host    string
	time    time.Time
}

// appendFrame encodes e as one frame onto b:
//
//	len uint32 | crc32c uint32 | seq uint64 | value | leaf | (body key | body)...
//
// each variable part prefixed by its uint32 length.
func appendFrame(b []byte, e *walEntry) []byte {
	start := len(b)
	b = append(b, make([]byte, frameHeader)...)
	b = binary.BigEndian.AppendUint64(b, e.seq)
	b = appendPart(b, e.value)
	b = appendPart(b, e.leaf)
	for _, body := range e.bodies {
		b = appendPart(b, []byte(body.key))
		b = appendPart(b, body.data)
	}
	payload := b[start+frameHeader:]
	binary.BigEndian.PutUint32(b[start:], uint32(len(payload)))
	binary.BigEndian.PutUint32(b[start+4:], crc32.Checksum(payload, crcTable))
	return b
}

func appendPart(b, part []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(part)))
	return append(b, part...)
}

// errTorn is the end of a segment's intact frames: zeroes (preallocated,
// never written), a short frame or a checksum mismatch, left by a crash in
// the middle of a write that was therefore never acknowledged.
var errTorn = errors.New("torn frame")

// readFrame decodes the frame at the start of b and returns it with its
// length.
func readFrame(b []byte) (walEntry, int, error) {
	if len(b) < frameHeader {
		return walEntry{}, 0, errTorn
	}
	n := binary.BigEndian.Uint32(b)
	if n == 0 || n > maxFrame || int(n) > len(b)-frameHeader {
		return walEntry{}, 0, errTorn
	}
	payload := b[frameHeader : frameHeader+int(n)]
	if crc32.Checksum(payload, crcTable) != binary.BigEndian.Uint32(b[4:]) {
		return walEntry{}, 0, errTorn
	}
	e, ok := parsePayload(payload)
	if !ok {
		return walEntry{}, 0, fmt.Errorf("malformed frame with a good checksum: %w", ErrCorrupt)
	}
	return e, frameHeader + int(n), nil
}

func parsePayload(p []byte) (walEntry, bool) {
	if len(p) < 8 {
		return walEntry{}, false
	}
	e := walEntry{seq: binary.BigEndian.Uint64(p)}
	p = p[8:]
	var parts [][]byte
	for len(p) > 0 {
		if len(p) < 4 || uint64(binary.BigEndian.Uint32(p)) > uint64(len(p)-4) {
			return walEntry{}, false
		}
		n := binary.BigEndian.Uint32(p)
		parts, p = append(parts, p[4:4+n]), p[4+n:]
	}
	if len(parts) < 2 || len(parts)%2 != 0 {
		return walEntry{}, false
	}
	e.value, e.leaf = parts[0], parts[1]
	for i := 2; i < len(parts); i += 2 {
		e.bodies = append(e.bodies, &inlineBody{key: string(parts[i]), data: parts[i+1]})
	}
	return e, true
}

// segment is one WAL file being appended to.
type segment struct {
	f    *os.File
	num  uint64 // its number: segments are replayed in number order
	off  int64  // where the next frame goes
	size int64  // preallocated size
	last uint64 // Seq of the last record written to it
	tail []byte // with directIO: the bytes of the last, partial block
	// zeroed is how far zeroes have been written ahead of the frames
	// (zeroAhead).
	zeroed int64
}

// wal is the set of segment files. Only the commit loop writes, and only
// the indexer releases; mu-free because release runs on the commit loop
// too (see Store.release).
type wal struct {
	dir     string
	segSize int64
	cur     *segment
	full    []*segment // closed segments, waiting for their records to be indexed
	nextNum uint64
	buf     []byte // the commit loop's frame buffer
	// directIO writes through O_DIRECT|O_DSYNC (Options.WALDirect):
	// durable when the write returns, no fdatasync, no page cache.
	directIO bool
	direct   []byte // scratch for block-aligned writes

	// Space (wal_space.go).
	reserveSize int64
	reserved    bool  // DIR/wal/reserve exists
	noRoom      error // while no segment can be had; wraps ErrFull
	freeSpace   func(dir string) (uint64, error)
	onSpace     func(free uint64, full error) // Options.OnSpace, or nil
}

// segmentName is the file of segment num.
func segmentName(num uint64) string {
	return fmt.Sprintf("%020d%s", num, segExt)
}

// segmentFiles lists dir's segments in replay order.
func segmentFiles(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var nums []uint64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), segExt)
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(name, 10, 64); err == nil {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	return nums, nil
}

// write appends a group of frames to the current segment, starting a new
// one when it would not fit, and flushes it. On error the group is not
// durable and the segment is abandoned: the next group starts a new one,
// so that nothing is ever written after bytes of unknown state. A group
// of stand-ins (reserve) may go into the reserve when no new segment can
// be had (wal_space.go).
func (w *wal) write(frames []byte, last uint64, reserve bool) error {
	if w.cur != nil && w.cur.off > 0 && w.cur.off+int64(len(frames)) > w.cur.size {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	if w.cur == nil {
		if err := w.start(int64(len(frames)), reserve); err != nil {
			return err
		}
	}
	s := w.cur
	if err := w.flush(s, frames); err != nil {
		w.abandon()
		if isNoSpace(err) {
			err = noSpace("write-ahead log", err)
			w.setFull(err)
		}
		return err
	}
	s.off += int64(len(frames))
	s.last = last
	return nil
}

// start makes a new current segment for need bytes: a new one, or the
// reserve for stand-ins when the disk has no room for one.
func (w *wal) start(need int64, reserve bool) error {
	err := w.create(need)
	if err == nil || !errors.Is(err, ErrFull) {
		return err
	}
	w.setFull(err)
	if !reserve || !w.reserved || need > w.reserveSize {
		return err
	}
	if rerr := w.takeReserve(); rerr != nil {
		return errors.Join(err, rerr)
	}
	return nil
}

// flush writes frames at s.off and returns once they are durable.
func (w *wal) flush(s *segment, frames []byte) error {
	if w.directIO {
		err := w.writeDirect(s, frames)
		if cap(w.direct) > maxKeptFrames {
			w.direct = nil
		}
		if err != nil {
			return fmt.Errorf("write wal (O_DIRECT): %w", err)
		}
		return nil
	}
	if err := zeroAhead(s, s.off+int64(len(frames))); err != nil {
		return fmt.Errorf("write wal: %w", err)
	}
	if _, err := s.f.WriteAt(frames, s.off); err != nil {
		return fmt.Errorf("write wal: %w", err)
	}
	if err := datasync(s.f); err != nil {
		return fmt.Errorf("sync wal: %w", err)
	}
	return nil
}

// create starts a new segment, preallocated for at least need bytes
// (stepSize), and makes its name durable.
func (w *wal) create(need int64) error {
	size, err := w.stepSize(need)
	if err != nil {
		return err
	}
	num := w.nextNum
	path := filepath.Join(w.dir, segmentName(num))
	flags := os.O_RDWR | os.O_CREATE | os.O_EXCL
	if w.directIO {
		flags |= directFlags
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return spaceErr("create wal segment", err)
	}
	fail := func(what string, err error) error {
		f.Close()
		os.Remove(path)
		return spaceErr(what, err)
	}
	if err := preallocate(f, size); err != nil {
		return fail(fmt.Sprintf("preallocate wal segment of %d bytes", size), err)
	}
	if err := f.Sync(); err != nil {
		return fail("sync wal segment", err)
	}
	if err := writeHead(w.dir, num); err != nil {
		return fail("wal head", err)
	}
	if err := syncDir(w.dir); err != nil {
		return fail("sync wal dir", err)
	}
	w.nextNum++
	w.cur = &segment{f: f, num: num, size: size}
	return nil
}

// spaceErr wraps err with what, and in ErrFull when it says the disk is
// full.
func spaceErr(what string, err error) error {
	if isNoSpace(err) && !errors.Is(err, ErrFull) {
		return noSpace(what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// rotate closes the current segment; it is removed once indexed.
func (w *wal) rotate() error {
	s := w.cur
	w.cur = nil
	if s.last == 0 {
		s.f.Close()
		return os.Remove(filepath.Join(w.dir, segmentName(s.num)))
	}
	w.full = append(w.full, s)
	return s.f.Close()
}

// abandon stops writing to the current segment after a failed write. It
// stays on disk until its acknowledged records are indexed.
func (w *wal) abandon() {
	if s := w.cur; s != nil {
		w.cur = nil
		s.f.Close()
		w.full = append(w.full, s)
	}
}

// release removes the closed segments whose records are all at or below
// indexed, which bbolt holds durably.
func (w *wal) release(indexed uint64) error {
	var err error
	keep := w.full[:0]
	for _, s := range w.full {
		if s.last > indexed {
			keep = append(keep, s)
			continue
		}
		if rerr := os.Remove(filepath.Join(w.dir, segmentName(s.num))); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = rerr
			keep = append(keep, s)
		}
	}
	clear(w.full[len(keep):])
	w.full = keep
	return err
}

// close closes the current segment and, when every record is indexed,
// removes all segments: a store closed cleanly has an empty WAL.
func (w *wal) close(indexed uint64) error {
	if w.cur != nil {
		w.rotate()
	}
	if !slices.ContainsFunc(w.full, func(s *segment) bool { return s.last > indexed }) {
		// The head goes first: a head naming a segment that is gone is
		// damage (wal_scan.go).
		if err := removeHead(w.dir); err != nil {
			return err
		}
	}
	return w.release(indexed)
}

// headFile, in the WAL directory, names the newest segment: the one
// segment whose loss no later Seq could reveal. Written when a segment is
// created, removed before the last segment is.
const headFile = "head"

// writeHead makes num the newest segment, durably once the directory is
// synced.
func writeHead(dir string, num uint64) error {
	tmp := filepath.Join(dir, headFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(segmentName(num) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, headFile)) // closed: Windows renames no open file
}

// readHead is the newest segment's number; ok is false without a head.
func readHead(dir string) (num uint64, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, headFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	name, _ := strings.CutSuffix(strings.TrimSpace(string(b)), segExt)
	num, err = strconv.ParseUint(name, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%s: %q names no segment: %w", headFile, b, ErrCorrupt)
	}
	return num, true, nil
}

func removeHead(dir string) error {
	if err := os.Remove(filepath.Join(dir, headFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// hasSegments reports whether dir holds any segment file, or a head
// naming one.
func hasSegments(dir string) bool {
	nums, err := segmentFiles(dir)
	_, head, _ := readHead(dir)
	return err != nil || len(nums) > 0 || head
}

// zeroAhead writes zeroes over the segment from where it last did through
// end rounded up to zeroStep, before frames go there. Space preallocated
// with fallocate is unwritten: the first write into each block changes
// the file's extents, and the fdatasync after it must then commit the
// file system's journal, for every group. Written zeroes (as PostgreSQL
// fills its WAL segments) leave fdatasync only the data to flush, and the
// journal commit once per zeroStep. A segment reads the same either way:
// zeroes where no frame was written.
func zeroAhead(s *segment, end int64) error {
	step := int64(zeroStep)
	if step == 0 || end <= s.zeroed {
		return nil
	}
	to := min((end+step-1)/step*step, s.size)
	for s.zeroed < to {
		n := min(to-s.zeroed, int64(len(zeroes)))
		if _, err := s.f.WriteAt(zeroes[:n], s.zeroed); err != nil {
			return err
		}
		s.zeroed += n
	}
	return nil
}

// zeroes is what zeroAhead writes from.
var zeroes = make([]byte, 256<<10)
