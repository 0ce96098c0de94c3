package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/tmpfs"
)

// disk is a data dir's file system that a test fills and frees.
type disk interface {
	leave(t *testing.T, free int64) // fill until about free bytes are left
	fillUp(t *testing.T)            // fill to the last byte
	drain(t *testing.T)             // free the space again
}

// realDisk is a tmpfs: the kernel says ENOSPC, to bbolt too.
type realDisk struct{ dir string }

func (d realDisk) leave(t *testing.T, free int64) { tmpfs.Fill(t, d.dir, free) }
func (d realDisk) fillUp(t *testing.T)            { tmpfs.FillUp(t, d.dir) }
func (d realDisk) drain(t *testing.T)             { tmpfs.Drain(t, d.dir) }

// toldDisk only tells the store how much is free (Options.diskFree): for
// platforms without a tmpfs (Windows, under Wine), where the log's own
// steps, reserve and head still run on the real file system.
type toldDisk struct{ free atomic.Int64 }

func (d *toldDisk) leave(_ *testing.T, free int64) { d.free.Store(free) }
func (d *toldDisk) fillUp(*testing.T)              { d.free.Store(0) }
func (d *toldDisk) drain(*testing.T)               { d.free.Store(1 << 40) }
func (d *toldDisk) diskFree(string) (uint64, error) {
	return uint64(d.free.Load()), nil
}

func TestStore_FullDisk_Tmpfs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("skipped: tmpfs is Linux's; TestStore_FullDisk_Told runs here")
	}
	mnt := tmpfs.Mount(t, 8<<20)
	dir := filepath.Join(mnt, "data")
	t.Cleanup(func() { checkIntegrity(t, dir) }) // before the unmount
	fullDisk(t, dir, realDisk{mnt}, Options{})
}

func TestStore_FullDisk_Told(t *testing.T) {
	d := &toldDisk{}
	d.drain(t)
	fullDisk(t, newTestDir(t), d, Options{diskFree: d.diskFree})
}

// fullDisk runs a store down to a full disk and back: at a few MiB free
// it still takes records, in smaller segments; full, it refuses ordinary
// records at once and takes the stand-ins into its reserve; once space is
// back it takes records again, and every acknowledged record is there
// after a reopen.
func fullDisk(t *testing.T, dir string, d disk, opts Options) {
	var mu sync.Mutex
	var lows []uint64
	var fulls []error
	opts.Now = testClock()
	opts.OnSpace = func(free uint64, full error) {
		mu.Lock()
		defer mu.Unlock()
		if full != nil {
			fulls = append(fulls, full)
		} else {
			lows = append(lows, free)
		}
	}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	if fi, err := os.Stat(filepath.Join(dir, WALDir, reserveFile)); err != nil || fi.Size() != DefaultReserveSize {
		t.Fatalf("reserve: got %v, %v; want a file of %d bytes", fi, err, DefaultReserveSize)
	}

	d.leave(t, 3<<20)
	acked := map[uint64]Kind{}
	for range 20 {
		req := mustAppend(t, s, request("las.cloud.com", "/few-mib"), nil)
		acked[req], acked[mustAppend(t, s, response(req), nil)] = KindRequest, KindResponse
	}
	mu.Lock()
	if len(lows) == 0 {
		t.Errorf("OnSpace: no low-space step at 3 MiB free")
	}
	mu.Unlock()
	for _, f := range segmentsOf(t, dir) {
		if fi, _ := os.Stat(f); fi.Size() >= DefaultSegmentSize {
			t.Errorf("segment %s preallocates %d bytes at 3 MiB free, want a smaller step", f, fi.Size())
		}
	}

	open := mustAppend(t, s, request("las.cloud.com", "/open"), nil)
	acked[open] = KindRequest
	d.fillUp(t)
	var refused error
	for i := 0; i < 20000 && refused == nil; i++ {
		seq, err := appendBounded(t, s, request("las.cloud.com", "/filling"))
		if err != nil {
			refused = err
		} else {
			acked[seq] = KindRequest
		}
	}
	if !errors.Is(refused, ErrFull) {
		t.Fatalf("Append on a full disk: got %v, want ErrFull", refused)
	}
	if err := s.Writable(); !errors.Is(err, ErrFull) {
		t.Errorf("Writable on a full disk: got %v, want ErrFull", err)
	}
	// What could not be recorded is recorded, in the reserve.
	denied := &Record{Kind: KindDenied, Host: "las.cloud.com", Port: "443",
		Error: RequestNotRecorded + ": not forwarded: disk full",
		Head:  &Head{Method: "POST", URL: "https://las.cloud.com/refused", Proto: "HTTP/1.1"}}
	if seq, err := appendBounded(t, s, denied); err != nil {
		t.Errorf("stand-in for a refused request: %v", err)
	} else {
		acked[seq] = KindDenied
	}
	resp := response(open)
	if _, err := appendBounded(t, s, resp); !errors.Is(err, ErrFull) {
		t.Errorf("response on a full disk: got %v, want ErrFull", err)
	}
	if seq, err := appendBounded(t, s, NotRecordedFor(response(open), "disk full")); err != nil {
		t.Errorf("stand-in for a refused response: %v", err)
	} else {
		acked[seq] = KindResponse
	}
	if _, err := appendBounded(t, s, request("las.cloud.com", "/still-full")); !errors.Is(err, ErrFull) {
		t.Errorf("an ordinary record after the stand-ins: got %v, want ErrFull", err)
	}
	if _, told := d.(*toldDisk); told {
		// No new segment could be had: the stand-ins went into the reserve.
		if _, err := os.Stat(filepath.Join(dir, WALDir, reserveFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("reserve while full: got %v, want it taken as a segment", err)
		}
	}
	mu.Lock()
	if len(fulls) == 0 {
		t.Errorf("OnSpace: not told the log is full")
	}
	mu.Unlock()

	d.drain(t)
	waitWritable(t, s)
	if seq, err := appendBounded(t, s, request("las.cloud.com", "/after")); err != nil {
		t.Errorf("Append once space is back: %v", err)
	} else {
		acked[seq] = KindRequest
	}
	if _, err := os.Stat(filepath.Join(dir, WALDir, reserveFile)); err != nil {
		t.Errorf("reserve once space is back: %v, want it made again", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, dir, Options{Now: testClock()})
	for seq, kind := range acked {
		r, err := s.Record(seq)
		if err != nil || r.Kind != kind {
			t.Errorf("acknowledged record %d: got %+v, %v; want a %s record", seq, r, err, kind)
		}
	}
	if c, err := s.Capture("1"); err != nil || !c.Complete {
		t.Errorf("capture 1: got %+v, %v", c, err)
	}
}

// appendBounded appends r and fails the test if Append does not return
// before a deadline: on a full disk it must answer, not wait for space.
func appendBounded(t *testing.T, s *Store, r *Record) (uint64, error) {
	t.Helper()
	type result struct {
		seq uint64
		err error
	}
	done := make(chan result, 1)
	go func() {
		seq, err := s.Append(context.Background(), r, nil)
		done <- result{seq, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	select {
	case res := <-done:
		return res.seq, res.err
	case <-ctx.Done():
		t.Fatalf("Append of a %s record did not return: it waits for space instead of failing", r.Kind)
		return 0, nil
	}
}

// waitWritable waits for the store to find the space again (probeEvery).
func waitWritable(t *testing.T, s *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for s.Writable() != nil {
		select {
		case <-ctx.Done():
			t.Fatalf("Writable once space is back: still %v", s.Writable())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func segmentsOf(t *testing.T, dir string) []string {
	t.Helper()
	nums, err := segmentFiles(filepath.Join(dir, WALDir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range nums {
		out = append(out, filepath.Join(dir, WALDir, segmentName(n)))
	}
	return out
}
