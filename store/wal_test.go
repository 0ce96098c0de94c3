package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/telltale/telltale/internal/wine"
)

// unindexed opens a store whose indexer always fails, appends n requests
// and closes it: they are acknowledged, durable in the WAL only, as a
// crash would leave them.
func unindexed(t *testing.T, dir string, n int) {
	t.Helper()
	s, err := Open(dir, Options{Now: testClock(), indexRetry: time.Millisecond,
		beforeIndex: func(*bolt.Tx) error { return errors.New("disk on fire") }})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if seq := mustAppend(t, s, request("example.com", fmt.Sprint("/", i)), nil); seq != uint64(i) {
			t.Fatalf("Append %d: got Seq %d", i, seq)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Indexed != 0 || st.IndexErrors == 0 {
		t.Fatalf("Stats: got %+v, want nothing indexed and index errors", st)
	}
	if !hasSegments(filepath.Join(dir, WALDir)) {
		t.Fatal("no WAL segment left with unindexed records")
	}
}

// checkURLs checks that records 1..n are the n requests unindexed
// appended, and that Open then marked each interrupted (a response record
// apiece: notrecorded.go).
func checkURLs(t *testing.T, s *Store, n int) {
	t.Helper()
	if size, err := s.Size(); err != nil || size != uint64(2*n) {
		t.Fatalf("Size: got %d, %v, want %d requests and their interrupted marks", size, err, 2*n)
	}
	for i := 1; i <= n; i++ {
		r, err := s.Record(uint64(i))
		if want := fmt.Sprint("/", i); err != nil || r.Head == nil || filepath.Base(r.Head.URL) != want[1:] {
			t.Errorf("record %d: got %+v, %v, want URL ending %s", i, r, err, want)
		}
	}
}

func TestStore_WAL_OpenAppliesUnindexedRecords(t *testing.T) {
	dir := newTestDir(t)
	unindexed(t, dir, 5)
	s := mustOpen(t, dir, Options{})
	checkURLs(t, s, 5)
	if hasSegments(filepath.Join(dir, WALDir)) {
		t.Error("WAL segments left after they were applied")
	}
	if seq := mustAppend(t, s, request("example.com", "/6"), nil); seq != 11 {
		t.Errorf("next Seq: got %d, want 11", seq)
	}
}

func TestStore_WAL_ReadOnlyOpenAppliesUnindexedRecords(t *testing.T) {
	dir := newTestDir(t)
	unindexed(t, dir, 3)
	s := mustOpen(t, dir, Options{ReadOnly: true})
	checkURLs(t, s, 3)
}

func TestStore_WAL_TornLastFrameDropped(t *testing.T) {
	dir := newTestDir(t)
	unindexed(t, dir, 4)
	seg := onlySegment(t, dir)
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	for range 3 { // skip three intact frames; tear the fourth
		_, n, err := readFrame(data[off:])
		if err != nil {
			t.Fatal(err)
		}
		off += n
	}
	_, n, _ := readFrame(data[off:])
	f, err := os.OpenFile(seg, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The crash wrote the frame's first half only.
	if _, err := f.WriteAt(make([]byte, n/2), int64(off+n-n/2)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s := mustOpen(t, dir, Options{})
	checkURLs(t, s, 3)
	if seq := mustAppend(t, s, request("example.com", "/4"), nil); seq != 7 {
		t.Errorf("Seq after the torn frame: got %d, want 7", seq)
	}
}

func TestStore_WAL_DamagedFrameRefusesOpen(t *testing.T) {
	dir := wine.TempDir(t)
	unindexed(t, dir, 2)
	seg := onlySegment(t, dir)
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	// A frame whose checksum matches but whose record is out of order is
	// damage, not a torn write.
	e, n, err := readFrame(data)
	if err != nil {
		t.Fatal(err)
	}
	e.seq = 7
	frame := appendFrame(nil, &e)
	if len(frame) != n {
		t.Fatalf("re-encoded frame: %d bytes, want %d", len(frame), n)
	}
	if err := os.WriteFile(seg, frame, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(dir, Options{}); !errors.Is(err, ErrCorrupt) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("Open: got %v, want ErrCorrupt", err)
	}
}

func TestStore_WAL_SegmentsRotateAndGo(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{Now: testClock(), SegmentSize: 4 << 10})
	for i := 1; i <= 200; i++ {
		mustAppend(t, s, request("example.com", fmt.Sprint("/", i)), pattern(100, byte(i)))
	}
	if _, err := s.Size(); err != nil { // waits for the indexer
		t.Fatal(err)
	}
	// The next group removes every full segment the indexer finished.
	mustAppend(t, s, request("example.com", "/last"), nil)
	if nums, _ := segmentFiles(filepath.Join(dir, WALDir)); len(nums) > 2 {
		t.Errorf("segments after indexing: got %d, want at most 2 (the current and one it just filled)", len(nums))
	}
	if st := s.Stats(); st.Indexed < 200 || st.IndexBatches == 0 {
		t.Errorf("Stats: got %+v, want 200 indexed", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if nums, _ := segmentFiles(filepath.Join(dir, WALDir)); len(nums) != 0 {
		t.Errorf("segments after Close: got %v, want none", nums)
	}
}

func onlySegment(t *testing.T, dir string) string {
	t.Helper()
	nums, err := segmentFiles(filepath.Join(dir, WALDir))
	if err != nil || len(nums) != 1 {
		t.Fatalf("segments: got %v, %v, want one", nums, err)
	}
	return filepath.Join(dir, WALDir, segmentName(nums[0]))
}

func TestStore_WAL_DirectIO(t *testing.T) {
	if !directSupported {
		t.Skip("O_DIRECT is Linux's")
	}
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{Now: testClock(), WALDirect: true, SegmentSize: 16 << 10, indexRetry: time.Millisecond,
		beforeIndex: func(*bolt.Tx) error { return errors.New("disk on fire") }})
	// Frames of many sizes, so that groups end inside blocks and across
	// them, and segments rotate. Fewer groups than the indexer queue
	// holds: with the indexer failing, more would wait for it.
	for i := 1; i <= 30; i++ {
		if _, err := s.Append(context.Background(), request("example.com", fmt.Sprint("/", i)), nil); err != nil {
			if i == 1 && errors.Is(err, syscall.EINVAL) {
				t.Skipf("this file system refuses O_DIRECT: %v", err)
			}
			t.Fatal(err)
		}
		mustAppend(t, s, response(uint64(2*i-1)), pattern(i*97, byte(i)))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{}) // replays all from the WAL alone
	if size, _ := s.Size(); size != 60 {
		t.Fatalf("Size after replay: got %d, want 60", size)
	}
	for i := 1; i <= 30; i++ {
		r, err := s.Record(uint64(2 * i))
		if err != nil || r.Body.Size != int64(i*97) {
			t.Errorf("record %d: got %+v, %v, want a %d-byte body", 2*i, r, err, i*97)
		}
	}
}

// TestStore_WAL_ReadOfIndexedCaptureDoesNotWait: reading a capture the
// indexer already holds must not force a commit of the newer records
// (under load, the analysis reading each capture once made the indexer
// commit once per read), yet a capture whose response is still in the WAL
// reads complete, and every other read sees every returned Append.
func TestStore_WAL_ReadOfIndexedCaptureDoesNotWait(t *testing.T) {
	s := mustOpen(t, newTestDir(t), Options{Now: testClock(), IndexDelay: time.Hour})
	a := mustAppend(t, s, request("example.com", "/a"), nil)
	mustAppend(t, s, response(a), nil)
	if _, err := s.Size(); err != nil { // a read: everything indexed
		t.Fatal(err)
	}
	batches := s.Stats().IndexBatches

	b := mustAppend(t, s, request("example.com", "/b"), nil)
	c, err := s.Capture(strconv.FormatUint(a, 10))
	if err != nil || !c.Complete {
		t.Fatalf("Capture(a) = %+v, %v; want complete", c, err)
	}
	if st := s.Stats(); st.IndexBatches != batches || st.IndexLag != 1 {
		t.Fatalf("after reading an indexed capture: %d index batches (was %d), lag %d; want no commit, lag 1",
			st.IndexBatches, batches, st.IndexLag)
	}

	mustAppend(t, s, response(b), nil)
	c, err = s.Capture(strconv.FormatUint(b, 10))
	if err != nil || !c.Complete {
		t.Fatalf("Capture(b), its records only in the WAL = %+v, %v; want complete", c, err)
	}
	if lag := s.Stats().IndexLag; lag != 0 {
		t.Fatalf("lag %d after reading a capture in the WAL; want 0", lag)
	}
	if _, err := s.Capture("99"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Capture(99) = %v; want ErrNotFound at once", err)
	}
}

// A record whose frame the log could not read back is refused when it is
// appended, not acknowledged and then dropped as torn by the next replay;
// the log goes on taking records, and a reopen finds exactly those.
func TestStore_WAL_RefusesAFrameReplayCouldNotRead(t *testing.T) {
	dir := wine.TempDir(t)
	s, err := Open(dir, Options{Now: testClock()})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, request("example.com", "/before"), nil)
	huge := request("example.com", "/huge")
	huge.Head.Headers = append(huge.Head.Headers, Header{Name: "X-Big", Value: strings.Repeat("a", maxFrame)})
	if seq, err := s.Append(context.Background(), huge, nil); !errors.Is(err, ErrInvalid) || seq != 0 {
		t.Fatalf("Append of a %d MiB record: got Seq %d, %v, want ErrInvalid", maxFrame>>20, seq, err)
	}
	mustAppend(t, s, request("example.com", "/after"), nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir, Options{Now: testClock()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if size, err := s.Size(); err != nil || size != 4 {
		t.Fatalf("Size after reopen: got %d, %v, want the 2 acknowledged requests and their interrupted marks", size, err)
	}
	for seq, want := range map[uint64]string{1: "/before", 2: "/after"} {
		if r, err := s.Record(seq); err != nil || filepath.Base(r.Head.URL) != want[1:] {
			t.Errorf("record %d: got %+v, %v, want %s", seq, r, err, want)
		}
	}
}

// An InlineMax whose body and sealed copy could not share one frame is
// refused at Open, naming the limit.
func TestStore_Open_RefusesAnInlineMaxAboveTheFrameLimit(t *testing.T) {
	_, err := Open(wine.TempDir(t), Options{InlineMax: MaxInlineMax + 1})
	if err == nil || !strings.Contains(err.Error(), "InlineMax") {
		t.Fatalf("Open with InlineMax %d: got %v, want an error naming InlineMax", MaxInlineMax+1, err)
	}
	s, err := Open(wine.TempDir(t), Options{InlineMax: MaxInlineMax})
	if err != nil {
		t.Fatalf("Open with InlineMax %d: %v", MaxInlineMax, err)
	}
	s.Close()
}
