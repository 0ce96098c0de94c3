package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/telltale/telltale/internal/wine"
)

// The tests in this file take the write-ahead log's frame codec and its
// scan (wal.go, wal_scan.go) case by case, on segments built byte by
// byte: what kills the `wal` target's mutants (scripts/mutate.sh,
// docs/testing.md). Each scan case states the records it gives back and
// the damage, with the records it hides, that it reports.

// walRec is the entry of record seq, as the WAL holds it.
func walRec(seq uint64) *walEntry {
	return &walEntry{seq: seq, value: fmt.Appendf(nil, `{"seq":%d,"capture":%d,"kind":"request","host":"h%d"}`, seq, seq, seq),
		leaf: fmt.Appendf(nil, "leaf %d", seq)}
}

// frames encodes the records seqs, one frame each.
func frames(seqs ...uint64) []byte {
	var b []byte
	for _, s := range seqs {
		b = appendFrame(b, walRec(s))
	}
	return b
}

// cat joins byte slices.
func cat(parts ...[]byte) []byte { return slices.Concat(parts...) }

// flipped is frame with one payload byte changed: it fails its checksum.
func flipped(frame []byte) []byte {
	b := slices.Clone(frame)
	b[len(b)-1] ^= 0x20
	return b
}

// scanOf writes segs (segment number -> content) and an optional head to
// a fresh WAL directory and scans it.
func scanOf(t *testing.T, segs map[uint64][]byte, head uint64, after, mark uint64) *walScan {
	t.Helper()
	dir := wine.TempDir(t)
	for num, data := range segs {
		if err := os.WriteFile(filepath.Join(dir, segmentName(num)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if head != 0 {
		if err := writeHead(dir, head); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := scanWAL(dir, after, mark)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// seqsOf lists the Seqs of the records a scan gives back.
func seqsOf(sc *walScan) []uint64 {
	var out []uint64
	for _, e := range sc.entries() {
		out = append(out, e.seq)
	}
	return out
}

func damageStrings(ds []WALDamage) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

func TestStore_WAL_FrameCodec(t *testing.T) {
	e := walRec(7)
	e.bodies = []*inlineBody{{key: "k1", data: []byte("body one")}, {key: "k2", data: nil}}
	f := appendFrame([]byte("prefix"), e)[len("prefix"):]
	got, n, err := readFrame(append(slices.Clone(f), 0, 0, 0))
	if err != nil || n != len(f) || got.seq != 7 || string(got.value) != string(e.value) || string(got.leaf) != "leaf 7" ||
		len(got.bodies) != 2 || got.bodies[0].key != "k1" || string(got.bodies[0].data) != "body one" || got.bodies[1].key != "k2" || len(got.bodies[1].data) != 0 {
		t.Fatalf("round trip: got %+v, %d, %v; want record 7 with its two bodies, %d bytes", got, n, err, len(f))
	}
	if l := binary.BigEndian.Uint32(f); int(l) != len(f)-frameHeader {
		t.Errorf("length field: got %d, want %d", l, len(f)-frameHeader)
	}

	// A frame's length field: 0, past maxFrame, past the data.
	withLen := func(n uint32) []byte {
		b := slices.Clone(f)
		binary.BigEndian.PutUint32(b, n)
		return b
	}
	big := make([]byte, frameHeader+maxFrame+1)
	binary.BigEndian.PutUint32(big, maxFrame+1)
	for name, b := range map[string][]byte{
		"empty": nil, "seven bytes": f[:7], "a zero length": withLen(0), "past the data": withLen(uint32(len(f) - frameHeader + 1)),
		"past maxFrame": big, "a bad checksum": flipped(f), "cut short": f[:len(f)-1],
	} {
		if _, _, err := readFrame(b); !errors.Is(err, errTorn) {
			t.Errorf("%s: got %v, want errTorn", name, err)
		}
	}
	// A good checksum over a payload that does not decode: damage no crash
	// leaves, not a torn write.
	for name, payload := range map[string][]byte{
		"seq only":            binary.BigEndian.AppendUint64(nil, 7),
		"short seq":           {0, 0, 7},
		"one part":            appendPart(binary.BigEndian.AppendUint64(nil, 7), []byte("v")),
		"three parts":         appendPart(appendPart(appendPart(binary.BigEndian.AppendUint64(nil, 7), []byte("v")), []byte("l")), []byte("k")),
		"a part past the end": append(binary.BigEndian.AppendUint64(nil, 7), 0, 0, 0, 9, 'x'),
		"a short part length": append(appendPart(appendPart(binary.BigEndian.AppendUint64(nil, 7), []byte("v")), []byte("l")), 0, 0),
	} {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
		b = binary.BigEndian.AppendUint32(b, crc32c(payload))
		b = append(b, payload...)
		if _, _, err := readFrame(b); err == nil || errors.Is(err, errTorn) || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
	// Exactly two parts, and a part that ends exactly at the payload's end.
	p := appendPart(appendPart(binary.BigEndian.AppendUint64(nil, 9), []byte("v")), nil)
	if e, ok := parsePayload(p); !ok || e.seq != 9 || string(e.value) != "v" || len(e.leaf) != 0 || len(e.bodies) != 0 {
		t.Errorf("two parts, the second empty: got %+v, %v", e, ok)
	}

	if s, ok := frameSeq(f); !ok || s != 7 {
		t.Errorf("frameSeq: got %d, %v; want 7", s, ok)
	}
	for name, b := range map[string][]byte{"short": f[:frameHeader+7], "a length under 8": withLen(7)} {
		if s, ok := frameSeq(b); ok {
			t.Errorf("frameSeq of %s: got %d, want none", name, s)
		}
	}
	if s, ok := frameSeq(withLen(8)[:frameHeader+8]); !ok || s != 7 {
		t.Errorf("frameSeq of a frame of 8 bytes: got %d, %v; want 7", s, ok)
	}
	if !allZero(nil) || !allZero(make([]byte, 9)) || allZero([]byte{0, 0, 1}) || allZero([]byte{1, 0}) {
		t.Error("allZero")
	}
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, crcTable) }

// TestStore_WAL_Scan: what a scan gives back and reports, for each shape
// of a write-ahead log a crash, a failed write or damage leaves.
func TestStore_WAL_Scan(t *testing.T) {
	f1, f2, f3, f4 := frames(1), frames(2), frames(3), frames(4)
	seg := func(n uint64) string { return WALDirSlash + segmentName(n) }
	undecodable := func(seq uint64) []byte {
		payload := appendPart(binary.BigEndian.AppendUint64(nil, seq), []byte("v"))
		b := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
		b = binary.BigEndian.AppendUint32(b, crc32c(payload))
		return append(b, payload...)
	}
	notItsRecord := appendFrame(nil, &walEntry{seq: 3, value: []byte(`{"seq":4}`), leaf: []byte("l")})
	cases := []struct {
		name        string
		segs        map[uint64][]byte
		head        uint64
		after, mark uint64
		want        []uint64
		damage      []string
		harmless    int
	}{
		{name: "clean, two segments", segs: map[uint64][]byte{1: frames(1, 2, 3), 2: frames(4, 5)}, head: 2, mark: 5,
			want: []uint64{1, 2, 3, 4, 5}},
		{name: "preallocated zeroes", segs: map[uint64][]byte{1: cat(frames(1, 2), make([]byte, 100))}, mark: 2,
			want: []uint64{1, 2}},
		{name: "records in the database skipped", segs: map[uint64][]byte{1: frames(1, 2, 3, 4)}, after: 2, mark: 4,
			want: []uint64{3, 4}},
		{name: "torn at the end, never acknowledged", segs: map[uint64][]byte{1: cat(frames(1, 2, 3), f4[:len(f4)-3])}, mark: 3,
			want: []uint64{1, 2, 3}},
		{name: "torn at the end, acknowledged", segs: map[uint64][]byte{1: cat(frames(1, 2, 3), f4[:len(f4)-3])}, mark: 4,
			want: []uint64{1, 2, 3},
			damage: []string{fmt.Sprintf("%s at byte %d: a frame is torn or fails its checksum and nothing intact follows it; "+
				"the database saw records up to 4 acknowledged, the segments end at record 3 (a segment deleted or cut short): record 4 lost",
				seg(1), len(frames(1, 2, 3)))}},
		{name: "a segment cut short", segs: map[uint64][]byte{1: frames(1, 2)}, mark: 5, want: []uint64{1, 2},
			damage: []string{"the write-ahead log: the database saw records up to 5 acknowledged, the segments end at record 2 " +
				"(a segment deleted or cut short): records 3-5 (3) lost"}},
		{name: "a failed write, written again in the next segment",
			segs: map[uint64][]byte{1: cat(frames(1, 2), f3[:len(f3)/2]), 2: frames(3, 4)}, head: 2, mark: 4,
			want: []uint64{1, 2, 3, 4}},
		{name: "a failed write after its group was written", segs: map[uint64][]byte{1: frames(1, 2, 3), 2: frames(2, 3, 4)}, head: 2, mark: 4,
			want: []uint64{1, 2, 3, 4}},
		{name: "a failed write, again in the next segment, above the database", segs: map[uint64][]byte{1: frames(1, 2, 3), 2: frames(2, 3, 4)},
			head: 2, after: 1, mark: 4, want: []uint64{2, 3, 4}},
		{name: "a damaged first frame", segs: map[uint64][]byte{1: cat(flipped(f1), f2, f3)}, mark: 3, want: []uint64{2, 3},
			damage: []string{seg(1) + " at byte 0: a frame is torn or fails its checksum, and intact frames follow it: record 1 lost"}},
		{name: "a gap in a segment", segs: map[uint64][]byte{1: frames(1, 2, 4)}, mark: 4, want: []uint64{1, 2, 4},
			damage: []string{fmt.Sprintf("%s at byte %d: record 4 follows record 2: record 3 lost", seg(1), len(frames(1, 2)))}},
		{name: "a gap of two", segs: map[uint64][]byte{1: frames(1, 4)}, mark: 4, want: []uint64{1, 4},
			damage: []string{fmt.Sprintf("%s at byte %d: record 4 follows record 1: records 2-3 (2) lost", seg(1), len(f1))}},
		{name: "out of order", segs: map[uint64][]byte{1: frames(1, 3, 2)}, mark: 3, want: []uint64{1, 3},
			damage: []string{
				fmt.Sprintf("%s at byte %d: record 3 follows record 1: record 2 lost", seg(1), len(f1)),
				fmt.Sprintf("%s at byte %d: record 2 follows record 3", seg(1), len(frames(1, 3)))}},
		{name: "a record twice in a segment", segs: map[uint64][]byte{1: frames(1, 2, 2, 3)}, mark: 3, want: []uint64{1, 2, 3},
			damage: []string{fmt.Sprintf("%s at byte %d: record 2 follows record 2", seg(1), len(frames(1, 2)))}},
		{name: "out of order below the database", segs: map[uint64][]byte{1: frames(1, 3, 2, 4)}, after: 3, mark: 4, want: []uint64{4},
			harmless: 1},
		{name: "out of order, at the database's size", segs: map[uint64][]byte{1: frames(1, 2, 4, 3)}, after: 3, mark: 4, want: []uint64{4},
			harmless: 1},
		{name: "a damaged frame, intact ones after it", segs: map[uint64][]byte{1: cat(f1, f2, flipped(f3), f4)}, mark: 4,
			want: []uint64{1, 2, 4},
			damage: []string{fmt.Sprintf("%s at byte %d: a frame is torn or fails its checksum, and intact frames follow it: record 3 lost",
				seg(1), len(frames(1, 2)))}},
		{name: "a damaged frame in the database already", segs: map[uint64][]byte{1: cat(f1, flipped(f2), f3, f4)}, after: 3, mark: 4,
			want: []uint64{4}, harmless: 1},
		{name: "a damaged frame whose record is in the database", segs: map[uint64][]byte{1: cat(f1, f2, flipped(f3), f4)}, after: 3, mark: 4,
			want: []uint64{4}, harmless: 1},
		{name: "a good checksum that does not decode, at the end", segs: map[uint64][]byte{1: cat(f1, f2, undecodable(3))}, mark: 2,
			want: []uint64{1, 2},
			damage: []string{fmt.Sprintf("%s at byte %d: a frame passes its checksum but does not decode; the database saw records up to 3 acknowledged, "+
				"the segments end at record 2 (a segment deleted or cut short): record 3 lost", seg(1), len(frames(1, 2)))}},
		{name: "a good checksum that does not decode, mid-segment", segs: map[uint64][]byte{1: cat(f1, undecodable(2), f3)}, mark: 3,
			want:   []uint64{1, 3},
			damage: []string{fmt.Sprintf("%s at byte %d: a frame passes its checksum but does not decode: record 2 lost", seg(1), len(f1))}},
		{name: "a frame that holds another record", segs: map[uint64][]byte{1: cat(f1, f2, notItsRecord)}, mark: 3, want: []uint64{1, 2},
			damage: []string{fmt.Sprintf("%s at byte %d: the frame of record 3 does not hold it (frame of record 3 holds record 4: %v): record 3 lost",
				seg(1), len(frames(1, 2)), ErrCorrupt)}},
		{name: "the segment before is missing", segs: map[uint64][]byte{1: frames(1, 2), 3: frames(5, 6)}, head: 3, mark: 6,
			want:   []uint64{1, 2, 5, 6},
			damage: []string{fmt.Sprintf("%s at byte 0: the segment before this one is missing: records 3-4 (2) lost", seg(3))}},
		{name: "a segment that starts past the one before", segs: map[uint64][]byte{1: frames(1, 2), 2: frames(4, 5)}, head: 2, mark: 5,
			want:   []uint64{1, 2, 4, 5},
			damage: []string{fmt.Sprintf("%s at byte 0: this segment starts at record 4, and no segment before it holds 3: record 3 lost", seg(2))}},
		{name: "the newest segment deleted", segs: map[uint64][]byte{1: frames(1, 2)}, head: 2, mark: 4, want: []uint64{1, 2},
			damage: []string{fmt.Sprintf("%s at byte 0: the newest segment is missing (deleted?): the database saw records up to 4 acknowledged, "+
				"the other segments end at record 2; how many records it held after that is unknown: records 3-4 (2) lost", seg(2))}},
		{name: "the newest segment deleted, below the mark", segs: map[uint64][]byte{1: frames(1, 2)}, head: 2, mark: 1, want: []uint64{1, 2},
			damage: []string{fmt.Sprintf("%s at byte 0: the newest segment is missing (deleted?): the database saw records up to 1 acknowledged, "+
				"the other segments end at record 2; how many records it held after that is unknown: record 3 lost", seg(2))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := scanOf(t, tc.segs, tc.head, tc.after, tc.mark)
			if got := seqsOf(sc); !slices.Equal(got, tc.want) {
				t.Errorf("records: got %v, want %v", got, tc.want)
			}
			if got := damageStrings(sc.damage); !slices.Equal(got, tc.damage) {
				t.Errorf("damage:\n  got  %q\n  want %q", got, tc.damage)
			}
			if len(sc.harmless) != tc.harmless {
				t.Errorf("harmless: got %q, want %d", damageStrings(sc.harmless), tc.harmless)
			}
			// The slots span every Seq from after+1 to the top, lost or not.
			var lost uint64
			for _, d := range sc.damage {
				if d.From != 0 {
					lost += d.To - d.From + 1
				}
			}
			if uint64(len(tc.want))+lost != sc.top()-sc.after || lostRecords(sc.damage) != lost {
				t.Errorf("top %d, after %d: %d records and %d lost", sc.top(), sc.after, len(tc.want), lost)
			}
			var names []string
			for num := range tc.segs {
				names = append(names, segmentName(num))
			}
			slices.Sort(names)
			if !slices.Equal(sc.files, names) {
				t.Errorf("files: got %v, want %v", sc.files, names)
			}
		})
	}
}

func TestStore_WAL_Resync(t *testing.T) {
	f1, f2, f3 := frames(1), frames(2), frames(3)
	// Frames quoted in the body of a damaged one: intact, but each
	// followed by a frame that is not its next record, so not taken for
	// the next intact frame.
	quoted := appendFrame(nil, &walEntry{seq: 2, value: []byte(`{"seq":2}`), leaf: frames(5, 9, 11)})
	quoted[frameHeader+8+4] ^= 0x20
	for _, tc := range []struct {
		name string
		b    []byte
		from int
		prev uint64
		want int
		ok   bool
	}{
		{"the next frame", cat(f1, []byte{1, 2, 3}, f3), 1, 1, len(f1) + 3, true},
		{"after a run of zeroes", cat(f1, make([]byte, 11), f3), 1, 1, len(f1) + 11, true},
		{"zeroes up to the end", cat(f1, make([]byte, 11)), 1, 1, 0, false},
		{"a record too low", cat(f1, []byte{7}, f2), 1, 1, 0, false},
		{"the first record of a segment", cat([]byte{7}, f2), 1, 0, 1, true},
		{"past frames quoted in a body", cat(f1, quoted, f3), len(f1) + 1, 1, len(f1) + len(quoted), true},
		{"a frame followed by its next record", cat(f1, []byte{7}, frames(3, 4)), 1, 1, len(f1) + 1, true},
		{"nothing", []byte{7, 7, 7}, 0, 0, 0, false},
		{"a frame at the very end", cat([]byte{7}, f3), 1, 1, 1, true},
	} {
		if got, ok := resync(tc.b, tc.from, tc.prev); got != tc.want || ok != tc.ok {
			t.Errorf("%s: got %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStore_WAL_SegmentFilesAndHead(t *testing.T) {
	dir := wine.TempDir(t)
	if nums, err := segmentFiles(filepath.Join(dir, "none")); nums != nil || err != nil {
		t.Errorf("no directory: got %v, %v; want nothing", nums, err)
	}
	if hasSegments(dir) {
		t.Error("an empty directory has segments")
	}
	for _, name := range []string{segmentName(10), segmentName(9), segmentName(100), "x.wal", "00000000000000000001.tmp", "reserve", headFile} {
		os.WriteFile(filepath.Join(dir, name), nil, 0o600)
	}
	nums, err := segmentFiles(dir)
	if err != nil || !slices.Equal(nums, []uint64{9, 10, 100}) {
		t.Errorf("segmentFiles: got %v, %v; want 9, 10, 100 in order", nums, err)
	}
	if segmentName(10) != "00000000000000000010.wal" {
		t.Errorf("segmentName(10): %s", segmentName(10))
	}
	if !hasSegments(dir) {
		t.Error("hasSegments: false with segments")
	}
	// The head: written, read, refused when it names nothing, removed.
	dir = wine.TempDir(t)
	if _, ok, err := readHead(dir); ok || err != nil {
		t.Errorf("no head: got %v, %v", ok, err)
	}
	if err := writeHead(dir, 42); err != nil {
		t.Fatal(err)
	}
	if num, ok, err := readHead(dir); num != 42 || !ok || err != nil {
		t.Errorf("head 42: got %d, %v, %v", num, ok, err)
	}
	if !hasSegments(dir) {
		t.Error("hasSegments: false with a head naming a segment")
	}
	if _, err := os.Stat(filepath.Join(dir, headFile+".tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("head.tmp left behind: %v", err)
	}
	os.WriteFile(filepath.Join(dir, headFile), []byte("segment seven\n"), 0o600)
	if _, _, err := readHead(dir); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `"segment seven\n" names no segment`) {
		t.Errorf("a head naming nothing: got %v, want ErrCorrupt", err)
	}
	if _, err := scanWAL(dir, 0, 0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("scan with a bad head: got %v, want ErrCorrupt", err)
	}
	if err := removeHead(dir); err != nil {
		t.Fatal(err)
	}
	if err := removeHead(dir); err != nil {
		t.Errorf("removing no head: %v", err)
	}
	if hasSegments(dir) {
		t.Error("hasSegments: true with nothing left")
	}
}

func TestStore_WAL_DamageAndErrorText(t *testing.T) {
	if got := recordRange(3, 3); got != "record 3" {
		t.Errorf("recordRange(3, 3): %s", got)
	}
	if got := recordRange(3, 5); got != "records 3-5 (3)" {
		t.Errorf("recordRange(3, 5): %s", got)
	}
	d := []WALDamage{
		{Segment: "wal/x.wal", Offset: 12, What: "torn", From: 2, To: 4},
		{What: "out of order"},
		{Segment: "wal/y.wal", What: "gone", From: 9, To: 9},
	}
	want := []string{"wal/x.wal at byte 12: torn: records 2-4 (3) lost", "the write-ahead log: out of order", "wal/y.wal at byte 0: gone: record 9 lost"}
	if got := damageStrings(d); !slices.Equal(got, want) {
		t.Errorf("damage: got %q, want %q", got, want)
	}
	e := &WALError{Dir: "/data", Damage: d}
	if e.Lost() != 4 {
		t.Errorf("Lost: got %d, want 4", e.Lost())
	}
	msg := e.Error()
	if !strings.HasPrefix(msg, ErrCorrupt.Error()+": wal/x.wal at byte 12: torn: records 2-4 (3) lost (and 2 more places); ") ||
		!strings.Contains(msg, "telltale recover --data /data") || !strings.HasSuffix(msg, filepath.Join("/data", WALDir, DamagedDir)) {
		t.Errorf("WALError: %s", msg)
	}
	if one := (&WALError{Dir: "/data", Damage: d[:1]}).Error(); strings.Contains(one, "more places") {
		t.Errorf("WALError with one place: %s", one)
	}
	if !errors.Is(e, ErrCorrupt) {
		t.Error("WALError is not ErrCorrupt")
	}
}

// TestStore_WAL_RotatesAtSegmentSize: a group that does not fit the
// current segment starts the next one, so that segments stay near
// SegmentSize and can be released as the indexer finishes them.
func TestStore_WAL_RotatesAtSegmentSize(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{Now: testClock(), SegmentSize: 4 << 10})
	for i := 1; i <= 100; i++ {
		mustAppend(t, s, request("example.com", fmt.Sprint("/", i)), pattern(100, byte(i)))
	}
	nums, err := segmentFiles(filepath.Join(dir, WALDir))
	if err != nil || len(nums) == 0 {
		t.Fatalf("segments: %v, %v", nums, err)
	}
	// Each segment holds no more than SegmentSize bytes of frames, but for
	// a group larger than a segment, alone in its own.
	for _, n := range nums {
		data := mustReadFile(t, filepath.Join(dir, WALDir, segmentName(n)))
		offs := frameOffsets(t, data)
		if len(offs) == 0 {
			continue
		}
		_, last, _ := readFrame(data[offs[len(offs)-1]:])
		if end := offs[len(offs)-1] + last; end > 4<<10 && len(offs) > 1 {
			t.Errorf("segment %d: %d frames, %d bytes of them; want at most 4 KiB", n, len(offs), end)
		}
	}
}

// TestStore_WAL_FrameOfMaxSize: the largest frame the reader takes is
// maxFrame bytes of payload, exactly.
func TestStore_WAL_FrameOfMaxSize(t *testing.T) {
	e := &walEntry{seq: 1, value: make([]byte, maxFrame-8-4-4-1), leaf: []byte("l")}
	f := appendFrame(nil, e)
	if len(f) != frameHeader+maxFrame {
		t.Fatalf("frame of %d bytes, want %d", len(f), frameHeader+maxFrame)
	}
	if got, n, err := readFrame(f); err != nil || n != len(f) || got.seq != 1 || len(got.value) != len(e.value) {
		t.Errorf("a frame of maxFrame bytes: got seq %d, %d bytes, %v; want it read", got.seq, n, err)
	}
	if next, ok := resync(cat([]byte{7}, f), 1, 0); !ok || next != 1 {
		t.Errorf("resync to a frame of maxFrame bytes: got %d, %v", next, ok)
	}
}

// TestStore_WAL_ReleaseAndClose: release removes the closed segments the
// indexer finished, keeps the others and any it could not remove, and
// takes a segment already gone as removed; close removes the head only
// when every record is indexed.
func TestStore_WAL_ReleaseAndClose(t *testing.T) {
	dir := wine.TempDir(t)
	for _, n := range []uint64{1, 2, 4} {
		os.WriteFile(filepath.Join(dir, segmentName(n)), frames(n), 0o600)
	}
	// Segment 5 cannot be removed: a directory with a file in it.
	os.MkdirAll(filepath.Join(dir, segmentName(5), "x"), 0o700)
	w := &wal{dir: dir, full: []*segment{{num: 1, last: 3}, {num: 2, last: 6}, {num: 3, last: 8}, {num: 4, last: 12}, {num: 5, last: 9}}}
	err := w.release(9)
	var kept []uint64
	for _, s := range w.full {
		kept = append(kept, s.num)
	}
	if err == nil || !slices.Equal(kept, []uint64{4, 5}) {
		t.Errorf("release(9): got %v, segments %v kept; want the error of segment 5, and 4 and 5 kept", err, kept)
	}
	if nums, _ := segmentFiles(dir); !slices.Equal(nums, []uint64{4, 5}) {
		t.Errorf("segment files after release(9): %v, want 4 and 5", nums)
	}
	// os.Remove twice, not os.RemoveAll: that fails under Wine 8.
	os.Remove(filepath.Join(dir, segmentName(5), "x"))
	os.Remove(filepath.Join(dir, segmentName(5)))
	if err := w.release(9); err != nil || len(w.full) != 1 || w.full[0].num != 4 {
		t.Errorf("release(9) with segment 5 gone: got %v, %d kept; want segment 4 alone", err, len(w.full))
	}

	// close: the head stays while a record is not indexed.
	if err := writeHead(dir, 4); err != nil {
		t.Fatal(err)
	}
	if err := w.close(11); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := readHead(dir); !ok || len(w.full) != 1 {
		t.Errorf("close(11) with record 12 not indexed: head %v, %d segments kept; want both kept", ok, len(w.full))
	}
	if err := w.close(12); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := readHead(dir); ok || len(w.full) != 0 || hasSegments(dir) {
		t.Errorf("close(12): head %v, %d segments kept; want nothing left", ok, len(w.full))
	}
}

// TestStore_WAL_RemoveHeadFails: a head that cannot be removed is an
// error, for close to return; one already gone is not.
func TestStore_WAL_RemoveHeadFails(t *testing.T) {
	dir := wine.TempDir(t)
	os.MkdirAll(filepath.Join(dir, headFile, "x"), 0o700)
	if err := removeHead(dir); err == nil {
		t.Error("removeHead of a head that cannot be removed: no error")
	}
	w := &wal{dir: dir}
	if err := w.close(0); err == nil {
		t.Error("close with a head that cannot be removed: no error")
	}
}

// TestStore_WAL_StartTakesTheReserveUpToItsSize: on a full disk, a group
// of stand-ins goes into the reserve when it fits, to the byte; a larger
// one, or one of records, fails ErrFull.
func TestStore_WAL_StartTakesTheReserveUpToItsSize(t *testing.T) {
	full := func(string) (uint64, error) { return 0, nil }
	for _, tc := range []struct {
		need    int64
		reserve bool
		ok      bool
	}{{8 << 10, true, true}, {8<<10 + 1, true, false}, {4 << 10, false, false}} {
		dir := wine.TempDir(t)
		w := &wal{dir: dir, segSize: 4 << 10, reserveSize: 8 << 10, freeSpace: full, nextNum: 1}
		if err := w.makeReserve(); err != nil {
			t.Fatal(err)
		}
		err := w.start(tc.need, tc.reserve)
		if tc.ok != (err == nil) || !tc.ok && !errors.Is(err, ErrFull) || w.noRoom == nil {
			t.Errorf("start(%d, stand-ins %v) on a full disk: got %v (full: %v); want ok %v, or ErrFull", tc.need, tc.reserve, err, w.noRoom, tc.ok)
		}
		if tc.ok {
			if w.cur == nil || w.cur.num != 1 || w.reserved {
				t.Errorf("start(%d): current segment %+v, reserve still there %v; want the reserve as segment 1", tc.need, w.cur, w.reserved)
			}
			w.cur.f.Close()
		}
	}
}
