package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Reading the write-ahead log back: what a crash left in it, told apart
// from damage. A crash in the middle of a write leaves a torn frame at the
// end of the last segment (its group was never acknowledged), and a write
// that failed leaves one at the end of the segment it abandoned (its group
// went again, with the same Seqs, to the next segment). Neither loses an
// acknowledged record. Anything else that does not read is damage, and is
// measured by the records it hides: the Seqs missing between the records
// that do read, between segments, or below the mark the indexer keeps of
// what was acknowledged (keyWALMark). Replay refuses a log that lost any
// record; Recover (recover.go) applies what reads and logs the rest as
// lost.

// keyWALMark in meta is the last Seq the WAL had acknowledged when the
// indexer last committed: a replay that finds less than that lost the
// newest segment, which no Seq after it could reveal.
var keyWALMark = []byte("wal_durable")

// WALDamage is one place where the write-ahead log cannot give back
// records it acknowledged.
type WALDamage struct {
	// Segment is the segment file, relative to the data directory
	// ("wal/00000000000000000003.wal"), and Offset the byte in it where
	// the damage starts; Segment is "" when no segment holds the place.
	Segment string
	Offset  int64
	What    string // what is wrong there
	// From and To are the records lost (Seqs, inclusive).
	From, To uint64
}

func (d WALDamage) String() string {
	where := "the write-ahead log"
	if d.Segment != "" {
		where = fmt.Sprintf("%s at byte %d", d.Segment, d.Offset)
	}
	if d.From == 0 {
		return where + ": " + d.What
	}
	return fmt.Sprintf("%s: %s: %s lost", where, d.What, recordRange(d.From, d.To))
}

// recordRange names the records from to to.
func recordRange(from, to uint64) string {
	if from == to {
		return fmt.Sprintf("record %d", from)
	}
	return fmt.Sprintf("records %d-%d (%d)", from, to, to-from+1)
}

// WALError is Open's error for a write-ahead log that lost acknowledged
// records. Open then applies none of the log and leaves every segment as
// it is, for Recover. It wraps ErrCorrupt.
type WALError struct {
	Dir    string // the data directory
	Damage []WALDamage
}

func (e *WALError) Error() string {
	more := ""
	if n := len(e.Damage) - 1; n > 0 {
		more = fmt.Sprintf(" (and %d more places)", n)
	}
	return fmt.Sprintf("%v: %s%s; nothing was applied and every segment is kept as it is: "+
		"run `telltale recover --data %s` to apply the intact records, record the lost ones in the log "+
		"and move the segments to %s", ErrCorrupt, e.Damage[0], more, e.Dir, filepath.Join(e.Dir, WALDir, DamagedDir))
}

func (e *WALError) Unwrap() error { return ErrCorrupt }

// Lost is the number of records the damage hides.
func (e *WALError) Lost() uint64 { return lostRecords(e.Damage) }

func lostRecords(ds []WALDamage) uint64 {
	var n uint64
	for _, d := range ds {
		if d.From != 0 {
			n += d.To - d.From + 1
		}
	}
	return n
}

// walScan is what the segments hold above the database's size.
type walScan struct {
	after    uint64      // the database's size: records up to it are in bbolt
	slots    []*walEntry // slots[i] is record after+1+i; nil when lost
	damage   []WALDamage // places that lost records, in Seq order
	harmless []WALDamage // damaged bytes that hid no record above after (From, To 0)
	files    []string    // the segment files read, by name
	// bad is the last damaged frame seen, until a record or the end
	// tells whether it hid any.
	bad *badFrame
	// headMissing is the newest segment, as the head names it, when its
	// file is gone.
	headMissing string
}

// badFrame is a frame that does not read.
type badFrame struct {
	WALDamage
	// seq is the Seq of a frame that passes its checksum but does not
	// decode: no crash writes one, so it is lost even at the end.
	seq uint64
}

// scanWAL reads every segment in dir.
func scanWAL(dir string, after, mark uint64) (*walScan, error) {
	nums, err := segmentFiles(dir)
	if err != nil {
		return nil, err
	}
	head, hasHead, err := readHead(dir)
	if err != nil {
		return nil, err
	}
	sc := &walScan{after: after}
	for i, num := range nums {
		name := segmentName(num)
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		sc.files = append(sc.files, name)
		sc.segment(WALDirSlash+name, data, i > 0 && num != nums[i-1]+1)
	}
	if hasHead && !slices.Contains(nums, head) {
		sc.headMissing = WALDirSlash + segmentName(head)
	}
	sc.finish(mark)
	return sc, nil
}

// WALDirSlash is WALDir with a slash, as WALDamage names segments.
const WALDirSlash = WALDir + "/"

// top is the highest Seq the scan has placed.
func (sc *walScan) top() uint64 { return sc.after + uint64(len(sc.slots)) }

// entries are the records read, in Seq order; with damage, the lost ones
// are left out.
func (sc *walScan) entries() []walEntry {
	out := make([]walEntry, 0, len(sc.slots))
	for _, e := range sc.slots {
		if e != nil {
			out = append(out, *e)
		}
	}
	return out
}

// segment reads one segment's frames. missingBefore: the segment number
// before it has no file.
func (sc *walScan) segment(name string, data []byte, missingBefore bool) {
	off, prev := 0, uint64(0)
	for off < len(data) {
		e, n, err := readFrame(data[off:])
		if err == nil {
			sc.record(name, int64(off), &e, prev, missingBefore)
			prev, off = e.seq, off+n
			continue
		}
		if errors.Is(err, errTorn) && allZero(data[off:]) {
			return // preallocated space, never written
		}
		bad := &badFrame{WALDamage: WALDamage{Segment: name, Offset: int64(off), What: "a frame is torn or fails its checksum"}}
		if !errors.Is(err, errTorn) {
			// Its checksum matches: no crash wrote it so. Its length can be
			// trusted, and its Seq is lost.
			bad.What = "a frame passes its checksum but does not decode"
			bad.seq, _ = frameSeq(data[off:])
			sc.bad = bad
			off += frameHeader + int(binary.BigEndian.Uint32(data[off:]))
			continue
		}
		next, ok := resync(data, off+1, prev)
		if !ok {
			// Nothing intact follows: a torn write, if no record turns out
			// missing.
			bad.What += " and nothing intact follows it"
			sc.bad = bad
			return
		}
		bad.What += ", and intact frames follow it"
		sc.bad = bad
		off = next
	}
}

// record places the intact record e, read at off in segment name after
// the record prev of the same segment (0: e is its first).
func (sc *walScan) record(name string, off int64, e *walEntry, prev uint64, missingBefore bool) {
	bad := sc.bad
	sc.bad = nil
	first := prev == 0
	if !first && e.seq <= prev {
		sc.harmful(WALDamage{Segment: name, Offset: off, What: fmt.Sprintf("record %d follows record %d", e.seq, prev)}, e.seq)
		return
	}
	if e.seq <= sc.after { // in the database already
		if bad != nil && !first {
			sc.harmless = append(sc.harmless, bad.WALDamage)
		}
		return
	}
	if err := fillFromValue(e); err != nil {
		sc.slots = append(sc.slots, make([]*walEntry, e.seq-sc.top())...)
		sc.damage = append(sc.damage, WALDamage{Segment: name, Offset: off,
			What: fmt.Sprintf("the frame of record %d does not hold it (%v)", e.seq, err), From: e.seq, To: e.seq})
		return
	}
	top := sc.top()
	switch {
	case e.seq <= top && first:
		// A later segment takes over from its first Seq on: the group of
		// a failed write, written again.
		sc.slots = sc.slots[:e.seq-sc.after-1]
	case e.seq > top+1:
		d := WALDamage{Segment: name, Offset: off, From: top + 1, To: e.seq - 1}
		switch {
		case bad != nil:
			d.Segment, d.Offset, d.What = bad.Segment, bad.Offset, bad.What
		case first && missingBefore:
			d.What = "the segment before this one is missing"
		case first:
			d.What = fmt.Sprintf("this segment starts at record %d, and no segment before it holds %d", e.seq, top+1)
		default:
			d.What = fmt.Sprintf("record %d follows record %d", e.seq, prev)
		}
		sc.damage = append(sc.damage, d)
		sc.slots = append(sc.slots, make([]*walEntry, e.seq-top-1)...)
	case bad != nil && !first:
		sc.harmless = append(sc.harmless, bad.WALDamage)
	}
	sc.slots = append(sc.slots, e)
}

// harmful notes damage that may or may not have lost seq.
func (sc *walScan) harmful(d WALDamage, seq uint64) {
	if seq <= sc.after {
		sc.harmless = append(sc.harmless, d)
		return
	}
	sc.damage = append(sc.damage, d) // From, To 0: the Seqs around it tell
}

// finish checks the end of the log against mark, the last Seq that was
// acknowledged when the indexer last committed.
func (sc *walScan) finish(mark uint64) {
	top := sc.top()
	if sc.bad != nil {
		mark = max(mark, sc.bad.seq)
	}
	if sc.headMissing != "" {
		// How many records it held beyond mark is unknown: one lost
		// record stands for them.
		d := WALDamage{Segment: sc.headMissing, From: top + 1, To: max(mark, top+1),
			What: fmt.Sprintf("the newest segment is missing (deleted?): the database saw records up to %d acknowledged, "+
				"the other segments end at record %d; how many records it held after that is unknown", mark, top)}
		sc.damage = append(sc.damage, d)
		sc.slots = append(sc.slots, make([]*walEntry, d.To-top)...)
		return
	}
	if mark <= top {
		return
	}
	d := WALDamage{From: top + 1, To: mark, What: fmt.Sprintf("the database saw records up to %d acknowledged, "+
		"the segments end at record %d (a segment deleted or cut short)", mark, top)}
	if sc.bad != nil {
		d.Segment, d.Offset = sc.bad.Segment, sc.bad.Offset
		d.What = sc.bad.What + "; " + d.What
	}
	sc.damage = append(sc.damage, d)
	sc.slots = append(sc.slots, make([]*walEntry, mark-top)...)
}

// resync finds the next intact frame in b at or after from, after a
// damaged one that followed record prev (0: none in this segment). The
// damaged frame held a record, so the next is at least prev+2; and an
// intact frame must be followed by the end of the frames or by the next
// record, so that a frame quoted inside a body (bodies are arbitrary
// bytes) is not taken for one.
func resync(b []byte, from int, prev uint64) (int, bool) {
	for i := from; i+frameHeader <= len(b); i++ {
		n := binary.BigEndian.Uint32(b[i:])
		if n == 0 {
			// Skip a run of zeroes: a frame's length starts with zero
			// bytes, so the next may start up to three bytes before the
			// first non-zero one.
			j := i + 4
			for j < len(b) && b[j] == 0 {
				j++
			}
			i = j - 4
			continue
		}
		if n > maxFrame || int(n) > len(b)-i-frameHeader {
			continue
		}
		e, size, err := readFrame(b[i:])
		if err != nil || prev != 0 && e.seq < prev+2 {
			continue
		}
		if next, _, err := readFrame(b[i+size:]); err == nil && next.seq != e.seq+1 {
			continue
		}
		return i, true
	}
	return 0, false
}

// frameSeq is the Seq a frame's payload starts with.
func frameSeq(b []byte) (uint64, bool) {
	if len(b) < frameHeader+8 || binary.BigEndian.Uint32(b) < 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b[frameHeader:]), true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
