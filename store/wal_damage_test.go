package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// frameOffsets returns where each frame of a segment starts.
func frameOffsets(t *testing.T, data []byte) []int {
	t.Helper()
	var offs []int
	for off := 0; off < len(data); {
		_, n, err := readFrame(data[off:])
		if err != nil {
			break
		}
		offs = append(offs, off)
		off += n
	}
	return offs
}

// flipByte flips one bit of the byte at off in file.
func flipByte(t *testing.T, file string, off int) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0x20
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// walFiles reads every segment in dir's WAL, by name.
func walFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	nums, err := segmentFiles(filepath.Join(dir, WALDir))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, n := range nums {
		b, err := os.ReadFile(filepath.Join(dir, WALDir, segmentName(n)))
		if err != nil {
			t.Fatal(err)
		}
		out[segmentName(n)] = b
	}
	return out
}

// refused opens dir writable and read-only and wants both refused with a
// *WALError naming want, the WAL and the database left as they were.
func refused(t *testing.T, dir, want string) *WALError {
	t.Helper()
	before := walFiles(t, dir)
	var werr *WALError
	for _, ro := range []bool{false, true} {
		s, err := Open(dir, Options{ReadOnly: ro})
		if err == nil {
			s.Close()
			t.Fatalf("Open(ReadOnly %v) of a damaged WAL: got a store, want a *WALError", ro)
		}
		if !errors.As(err, &werr) || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), want) ||
			!strings.Contains(err.Error(), "telltale recover") {
			t.Fatalf("Open(ReadOnly %v): got %v, want a *WALError naming %q and telltale recover", ro, err, want)
		}
	}
	after := walFiles(t, dir)
	if len(after) != len(before) {
		t.Fatalf("segments after the refused Open: got %d, want %d", len(after), len(before))
	}
	for name, b := range before {
		if !bytes.Equal(after[name], b) {
			t.Errorf("segment %s changed by a refused Open", name)
		}
	}
	return werr
}

func TestStore_WAL_FlippedByteMidSegment_RefusedThenRecovered(t *testing.T) {
	dir := newTestDir(t)
	unindexed(t, dir, 20)
	seg := onlySegment(t, dir)
	data, _ := os.ReadFile(seg)
	offs := frameOffsets(t, data)
	if len(offs) != 20 {
		t.Fatalf("frames: got %d, want 20", len(offs))
	}
	flipByte(t, seg, offs[9]+frameHeader+20) // inside record 10's payload

	werr := refused(t, dir, fmt.Sprintf("%s/%s at byte %d", WALDir, filepath.Base(seg), offs[9]))
	if got := werr.Lost(); got != 1 || werr.Damage[0].From != 10 {
		t.Fatalf("damage: got %+v, want record 10 lost", werr.Damage)
	}

	res, err := Recover(dir, Options{Now: testClock()})
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if res.Applied != 19 || res.LostRecords() != 1 || res.MovedTo == "" {
		t.Fatalf("Recover: got %+v, want 19 applied, 1 lost, segments moved", res)
	}
	if _, err := os.Stat(filepath.Join(res.MovedTo, filepath.Base(seg))); err != nil {
		t.Errorf("damaged segment not kept aside: %v", err)
	}
	if hasSegments(filepath.Join(dir, WALDir)) {
		t.Error("segments left in the WAL after Recover")
	}
	s := mustOpen(t, dir, Options{})
	for seq := uint64(1); seq <= 20; seq++ {
		r, err := s.Record(seq)
		switch {
		case err != nil:
			t.Fatalf("record %d: %v", seq, err)
		case seq == 10 && (r.Kind != KindLost || !strings.Contains(r.Error, LostPrefix) || !strings.Contains(r.Error, filepath.Base(seg))):
			t.Errorf("record 10: got %+v, want a lost record naming the segment", r)
		case seq != 10 && (r.Kind != KindRequest || r.Head.URL != fmt.Sprint("https://example.com/", seq)):
			t.Errorf("record %d: got %+v, want request /%d", seq, r, seq)
		}
	}
	caps, err := s.List(Query{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, c := range caps {
		kinds[c.Kind]++
	}
	if kinds[CaptureLost] != 1 || kinds[CaptureExchange] != 19 {
		t.Errorf("List kinds: got %v, want 19 exchanges and 1 lost", kinds)
	}
}

func TestStore_WAL_DamagedIndexedFrame_NothingLostOpens(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{Now: testClock()})
	for i := 1; i <= 10; i++ {
		mustAppend(t, s, request("example.com", fmt.Sprint("/", i)), nil)
	}
	if _, err := s.Size(); err != nil { // every record indexed
		t.Fatal(err)
	}
	// The segment as a kill -9 would leave it: copy it before Close
	// removes it.
	seg := onlySegment(t, dir)
	data, _ := os.ReadFile(seg)
	s.Close()
	offs := frameOffsets(t, data)
	data[offs[4]+frameHeader+20] ^= 0x20
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{})
	if n, _ := s.Size(); n != 20 {
		t.Errorf("Size: got %d, want the 10 requests and their interrupted marks", n)
	}
}

func TestStore_WAL_MissingSegment_Refused(t *testing.T) {
	dir := newTestDir(t)
	s, err := Open(dir, Options{Now: testClock(), SegmentSize: 4 << 10, indexRetry: time.Millisecond,
		beforeIndex: func(*bolt.Tx) error { return errors.New("disk on fire") }})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 40; i++ {
		mustAppend(t, s, request("example.com", fmt.Sprint("/", i)), pattern(300, byte(i)))
	}
	s.Close()
	nums, _ := segmentFiles(filepath.Join(dir, WALDir))
	if len(nums) < 3 {
		t.Fatalf("segments: got %d, want at least 3", len(nums))
	}
	gone := filepath.Join(dir, WALDir, segmentName(nums[1]))
	lost := len(frameOffsets(t, mustReadFile(t, gone)))
	os.Remove(gone)

	werr := refused(t, dir, "segment before this one is missing")
	if got := werr.Lost(); got != uint64(lost) {
		t.Fatalf("lost: got %d, want %d (the frames of the deleted segment)", got, lost)
	}
	res, err := Recover(dir, Options{Now: testClock()})
	if err != nil || res.Applied+res.LostRecords() != 40 {
		t.Fatalf("Recover: got %+v, %v, want 40 records accounted for", res, err)
	}
	s = mustOpen(t, dir, Options{})
	var lostN int
	s.Records(1, func(r *Record) error {
		if r.Kind == KindLost {
			lostN++
		}
		return nil
	})
	if lostN != lost {
		t.Errorf("lost records in the log: got %d, want %d", lostN, lost)
	}
}

// TestStore_WAL_DeletedNewestSegment_RefusedByMark: no Seq after the
// newest segment can show it is gone; the indexer's mark of what was
// acknowledged does.
func TestStore_WAL_DeletedNewestSegment_RefusedByMark(t *testing.T) {
	dir := newTestDir(t)
	release := make(chan struct{})
	var calls atomic.Int32
	// IndexDelay 1ns: the first commit takes record 1 alone, not whatever
	// else arrives within the default 50ms, so that the rest stay in the WAL.
	s, err := Open(dir, Options{Now: testClock(), SegmentSize: 4 << 10, indexRetry: time.Millisecond, IndexDelay: time.Nanosecond,
		beforeIndex: func(*bolt.Tx) error {
			if calls.Add(1) == 1 {
				<-release // the first commit waits until every append is durable
				return nil
			}
			return errors.New("disk on fire")
		}})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, request("example.com", "/1"), nil)
	for i := 2; i <= 40; i++ {
		mustAppend(t, s, request("example.com", fmt.Sprint("/", i)), pattern(300, byte(i)))
	}
	close(release)
	s.Close()
	nums, _ := segmentFiles(filepath.Join(dir, WALDir))
	if len(nums) == 0 {
		t.Fatal("no WAL segment left: the first index commit took every record")
	}
	newest := filepath.Join(dir, WALDir, segmentName(nums[len(nums)-1]))
	lost := len(frameOffsets(t, mustReadFile(t, newest)))
	os.Remove(newest)

	werr := refused(t, dir, "the newest segment is missing")
	if got := werr.Lost(); got != uint64(lost) {
		t.Fatalf("lost: got %d (%v), want %d", got, werr.Damage, lost)
	}
}

func mustReadFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
