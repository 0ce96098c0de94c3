package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// pattern returns n bytes that differ from those of another seed.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ seed
	}
	return b
}

// files returns the regular files under dir.
func files(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func readAll(tb testing.TB, open func() (io.ReadCloser, error)) []byte {
	tb.Helper()
	rc, err := open()
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatalf("read: %v", err)
	}
	return b
}

func TestBody_SpoolsToTmpBeyondInlineMax(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{InlineMax: 1000})
	for _, n := range []int{0, 1000, 1001, 5000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			data := pattern(n, 1)
			b := s.NewBody(0)
			for chunk := range slices.Chunk(data, 300) {
				if _, err := b.Write(chunk); err != nil {
					t.Fatal(err)
				}
			}
			wantTmp := 0
			if n > 1000 {
				wantTmp = 1
			}
			if got := len(files(t, filepath.Join(dir, TmpDir))); got != wantTmp {
				t.Errorf("tmp files: got %d, want %d", got, wantTmp)
			}
			for range 2 {
				if got := readAll(t, b.Stored); !bytes.Equal(got, data) {
					t.Errorf("Stored: got %d bytes, want the %d written", len(got), n)
				}
			}
			if got, want := b.Ref(), (BodyRef{SHA256: sha(data), Size: int64(n)}); got != want {
				t.Errorf("Ref: got %+v, want %+v", got, want)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if got := len(files(t, filepath.Join(dir, TmpDir))); got != 0 {
				t.Errorf("tmp files after Close: got %d, want 0", got)
			}
			if _, err := b.Write([]byte("x")); !errors.Is(err, ErrClosed) {
				t.Errorf("Write after Close: got %v, want ErrClosed", err)
			}
		})
	}
}

func TestBody_RefTruncatedPastLimit(t *testing.T) {
	s := newTestStore(t)
	data := pattern(2500, 2)
	b := s.NewBody(1000)
	defer b.Close()
	b.Write(data[:999])
	b.Write(data[999:])
	want := BodyRef{SHA256: sha(data), Size: 2500, Truncated: true,
		StoredSHA256: sha(data[:1000]), StoredSize: 1000}
	if got := b.Ref(); got != want {
		t.Errorf("Ref: got %+v, want %+v", got, want)
	}
	r := request("example.com", "/upload")
	mustAppendBody(t, s, r, b)
	if r.Body != want {
		t.Errorf("record Body: got %+v, want %+v", r.Body, want)
	}
	if got := mustRead(t, s, r.Body.StoredKey()); !bytes.Equal(got, data[:1000]) {
		t.Errorf("stored bytes: got %d bytes, want the first 1000", len(got))
	}
}

func mustAppendBody(tb testing.TB, s *Store, r *Record, b *Body) uint64 {
	tb.Helper()
	seq, err := s.Append(context.Background(), r, b)
	if err != nil {
		tb.Fatalf("Append: %v", err)
	}
	return seq
}

// The proxy's path for a request body longer than the capture limit:
// append with PartialRef, forward from Stored and the rest, finish the
// hash, and put the full ref in the response record.
func TestStore_Append_RequestBodyPastLimit(t *testing.T) {
	for _, limit := range []int{1000, 300 << 10} { // inline, and a blob
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			s := newTestStore(t)
			data := pattern(limit+5000, 3)
			b := s.NewBody(int64(limit))
			defer b.Close()
			b.Write(data[:limit])
			req := request("example.com", "/upload")
			req.Body = b.PartialRef()
			seq := mustAppendBody(t, s, req, b)
			partial := BodyRef{Size: -1, Truncated: true, StoredSHA256: sha(data[:limit]), StoredSize: int64(limit)}
			if req.Body != partial {
				t.Errorf("request Body: got %+v, want %+v", req.Body, partial)
			}
			forwarded := append(readAll(t, b.Stored), data[limit:]...)
			if _, err := b.Write(data[limit:]); err != nil {
				t.Fatalf("Write after Append: %v", err)
			}
			if !bytes.Equal(forwarded, data) {
				t.Errorf("forwarded body differs from the client's")
			}
			final := b.Ref()
			resp := response(seq)
			resp.RequestBody = &final
			mustAppend(t, s, resp, []byte("ok"))
			checkTruncatedCapture(t, s, seq, data, limit)
		})
	}
}

func checkTruncatedCapture(t *testing.T, s *Store, seq uint64, data []byte, limit int) {
	t.Helper()
	c, err := s.Capture(fmt.Sprint(seq))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.RequestBytes, int64(len(data)); got != want {
		t.Errorf("RequestBytes: got %d, want %d", got, want)
	}
	m := c.Request
	if m.BodySHA256 != sha(data) || !m.Truncated || m.StoredSHA256 != sha(data[:limit]) {
		t.Errorf("Request message: got %+v, want the whole body's hash, truncated, stored prefix", m)
	}
	if got := mustRead(t, s, m.StoredSHA256); !bytes.Equal(got, data[:limit]) {
		t.Errorf("stored prefix: got %d bytes, want %d", len(got), limit)
	}
	if l, _ := s.List(Query{}); len(l) != 1 || l[0].RequestBytes != int64(len(data)) {
		t.Errorf("List: got %+v, want one capture of %d request bytes", l, len(data))
	}
}

func TestStore_Append_BodyMismatch(t *testing.T) {
	s := newTestStore(t)
	b := s.NewBody(0)
	defer b.Close()
	b.Write([]byte("abc"))
	r := request("example.com", "/")
	r.Body = BodyRef{SHA256: sum("other"), Size: 5}
	if _, err := s.Append(context.Background(), r, b); !errors.Is(err, ErrInvalid) {
		t.Errorf("got %v, want ErrInvalid", err)
	}
}

// Identical bodies are stored once, however many records carry them.
func TestStore_Append_DedupesBodies(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{Now: testClock()})
	large, small := pattern(300<<10, 4), pattern(1<<10, 5)
	appendBoth := func(n int) {
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < n; i += 8 {
					seq := mustAppend(t, s, request("example.com", fmt.Sprint("/", i)), small)
					mustAppend(t, s, response(seq), large)
				}
			})
		}
		wg.Wait()
	}
	appendBoth(1)
	before := fileSize(t, s.Path())
	appendBoth(1000)
	growth := fileSize(t, s.Path()) - before
	// ~2000 records of metadata (with their salts), which bbolt grows
	// the file for in large steps; one more copy of either body would
	// show as 300 KiB (or, for the small one, in the bucket check below).
	if growth > 2000*3<<10 {
		t.Errorf("db grew by %d bytes for 2000 records, want metadata only", growth)
	}
	if got := len(files(t, filepath.Join(dir, BlobsDir))); got != 1 {
		t.Errorf("blob files: got %d, want 1", got)
	}
	if got := len(files(t, filepath.Join(dir, TmpDir))); got != 0 {
		t.Errorf("tmp files: got %d, want 0", got)
	}
	s.view(func(tx *bolt.Tx) error {
		if st := tx.Bucket(bucketBodies).Stats(); st.KeyN != 1 {
			t.Errorf("bodies bucket: got %d keys, want 1", st.KeyN)
		}
		return nil
	})
	t.Logf("db grew %d bytes for 2000 records", growth)
}

func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}

// TestBody_Expect: a Body told its length keeps a body below InlineMax in
// memory, one above it in memory too while it is at most maxBigMem and
// the store's budget has room, else in a file from the first byte; either
// way Stored, mid-body and at the end, and the blob Append makes hold
// every byte, through the file buffer's flushes (bodies past fileBuf,
// writes larger than it).
func TestBody_Expect(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{InlineMax: 1000})
	for _, c := range []struct {
		n, expect, chunk int
		wantFile         bool // after the first chunk
	}{
		{500, 500, 100, false},
		{1000, 1000, 300, false},
		{1001, 1001, 10, false},
		{5000, -1, 300, false}, // unknown: memory until InlineMax
		{600 << 10, 600 << 10, 7 << 10, false},
		{700 << 10, 700 << 10, 300 << 10, false},
		{300 << 10, -1, 16 << 10, true},
		{maxBigMem + 1, maxBigMem + 1, 300 << 10, true},
		{3 << 20, 3 << 20, 256 << 10, true}, // the budget is taken
	} {
		t.Run(fmt.Sprint(c.n, "/", c.expect, "/", c.chunk), func(t *testing.T) {
			data := pattern(c.n, 3)
			if c.n == 3<<20 { // other bodies hold all but 1 MiB of the budget
				s.bigMem.take(bigMemBudget - 1<<20)
				defer s.bigMem.give(bigMemBudget - 1<<20)
			}
			b := s.NewBody(0)
			defer b.Close()
			b.Expect(int64(c.expect))
			for i, chunk := range slices.Collect(slices.Chunk(data, c.chunk)) {
				if _, err := b.Write(chunk); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					if got := len(files(t, filepath.Join(dir, TmpDir))) == 1; got != c.wantFile {
						t.Errorf("in a file after %d bytes: got %v, want %v", len(chunk), got, c.wantFile)
					}
				}
				if i == 1 {
					if got := readAll(t, b.Stored); !bytes.Equal(got, data[:2*c.chunk]) {
						t.Errorf("Stored mid-body: got %d bytes, want the %d written", len(got), 2*c.chunk)
					}
				}
			}
			if got := readAll(t, b.Stored); !bytes.Equal(got, data) {
				t.Errorf("Stored: got %d bytes, want the %d written", len(got), c.n)
			}
			seq, err := s.Append(context.Background(), request("example.com", "/"), b)
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.Record(seq)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, func() (io.ReadCloser, error) { rc, _, err := s.OpenBody(r.Body.StoredKey()); return rc, err }); !bytes.Equal(got, data) {
				t.Errorf("stored body: got %d bytes, want the %d written", len(got), c.n)
			}
		})
	}
}

// TestBody_ExpectedBigBodyDeduplicated: a body above InlineMax kept in
// memory is written once, as its blob; the same bytes again write no
// file at all, and the budget is free once the bodies are closed.
func TestBody_ExpectedBigBodyDeduplicated(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{InlineMax: 1000})
	data := pattern(300<<10, 5)
	for i := range 3 {
		b := s.NewBody(0)
		b.Expect(int64(len(data)))
		if _, err := b.Write(data); err != nil {
			t.Fatal(err)
		}
		if got := len(files(t, filepath.Join(dir, TmpDir))); got != 0 {
			t.Errorf("append %d: tmp files: got %d, want 0", i, got)
		}
		seq, err := s.Append(context.Background(), request("example.com", "/"), b)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		r, err := s.Record(seq)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, func() (io.ReadCloser, error) { rc, _, err := s.OpenBody(r.Body.StoredKey()); return rc, err }); !bytes.Equal(got, data) {
			t.Errorf("append %d: stored body: got %d bytes, want %d", i, len(got), len(data))
		}
		if got := len(files(t, filepath.Join(dir, BlobsDir))); got != 1 {
			t.Errorf("append %d: blob files: got %d, want 1", i, got)
		}
	}
	if s.bigMem.used != 0 {
		t.Errorf("memory budget held after Close: %d bytes", s.bigMem.used)
	}
}
