package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/internal/wine"
)

// newTestDir returns a data dir whose store is checked for integrity after
// the test, once every store opened on it is closed.
func newTestDir(tb testing.TB) string {
	tb.Helper()
	dir := wine.TempDir(tb)
	tb.Cleanup(func() { checkIntegrity(tb, dir) })
	return dir
}

// mustOpen opens a store and closes it after the test.
func mustOpen(tb testing.TB, dir string, opts Options) *Store {
	tb.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// newTestStore opens a store in a fresh checked dir with a test clock.
func newTestStore(tb testing.TB) *Store {
	tb.Helper()
	return mustOpen(tb, newTestDir(tb), Options{Now: testClock()})
}

// testClock starts at a fixed time and advances a millisecond per call.
func testClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

// checkIntegrity runs bbolt's consistency check and, for tests, checks the
// log: dense Seqs, every stored tree hash recomputed from LeafData, and the
// indexes covering every record.
func checkIntegrity(tb testing.TB, dir string) {
	tb.Helper()
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		tb.Errorf("integrity: open: %v", err)
		return
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			tb.Errorf("integrity: bbolt: %v", err)
		}
		if _, ok := tb.(*testing.B); ok {
			return nil // 100k records: bbolt's check is enough
		}
		return checkLog(tx)
	})
	if err != nil {
		tb.Errorf("integrity: %v", err)
	}
}

func checkLog(tx *bolt.Tx) error {
	hashes := map[int64]tlog.Hash{}
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	var n, opening uint64
	err := tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
		n++
		r, err := decodeRecord(v)
		if err != nil || r.Seq != n || seqOfIndexKey(k) != n {
			return errors.Join(err, errors.New("records not dense"))
		}
		if r.Kind != KindResponse && r.Kind != KindIndex {
			opening++
			if tx.Bucket(bucketByTime).Get(timeKey(r.Time, r.Seq)) == nil {
				return errors.New("record missing from by_time")
			}
		}
		return checkLeafHashes(tx, r, hashes, reader)
	})
	if err != nil {
		return err
	}
	if seq := tx.Bucket(bucketRecords).Sequence(); seq != n {
		return errors.New("records sequence is not the record count")
	}
	if got := tx.Bucket(bucketByTime).Stats().KeyN; uint64(got) != opening {
		return errors.New("by_time has entries for no record")
	}
	return nil
}

// checkLeafHashes recomputes the hashes leaf r.Seq-1 stored.
func checkLeafHashes(tx *bolt.Tx, r *Record, hashes map[int64]tlog.Hash, reader tlog.HashReader) error {
	leaf, err := LeafData(r)
	if err != nil {
		return err
	}
	n := int64(r.Seq - 1)
	hs, err := tlog.StoredHashes(n, leaf, reader)
	if err != nil {
		return err
	}
	base := tlog.StoredHashIndex(0, n)
	for i, h := range hs {
		hashes[base+int64(i)] = h
		if got := tx.Bucket(bucketHashes).Get(seqKey(uint64(base + int64(i)))); !bytes.Equal(got, h[:]) {
			return errors.New("stored tree hash differs from recomputed")
		}
	}
	return nil
}

// request is an intercepted GET to host.
func request(host, path string) *Record {
	return &Record{
		Kind: KindRequest, Client: "127.0.0.1:50000", Host: host, Port: "443",
		Head: &Head{Method: "GET", URL: "https://" + host + path, Proto: "HTTP/1.1",
			Headers: []Header{{Name: "Host", Value: host}, {Name: "User-Agent", Value: "test"}}},
	}
}

// response completes capture with a 200.
func response(capture uint64) *Record {
	return &Record{
		Kind: KindResponse, Capture: capture,
		Head: &Head{Status: 200, Proto: "HTTP/1.1",
			Headers: []Header{{Name: "Content-Type", Value: "text/plain"}}},
		TLS: &TLSInfo{ServerName: "example.com", Version: "TLS 1.3",
			CipherSuite: "TLS_AES_128_GCM_SHA256", LeafSHA256: sum("cert")},
		Timings: &Timings{Start: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
			End: time.Date(2025, 6, 1, 12, 0, 1, 0, time.UTC)},
	}
}

// mustAppend appends r with a body holding data (none if data is nil).
func mustAppend(tb testing.TB, s *Store, r *Record, data []byte) uint64 {
	tb.Helper()
	var body *Body
	if data != nil {
		body = s.NewBody(0)
		defer body.Close()
		if _, err := body.Write(data); err != nil {
			tb.Fatalf("Body.Write: %v", err)
		}
	}
	seq, err := s.Append(context.Background(), r, body)
	if err != nil {
		tb.Fatalf("Append: %v", err)
	}
	return seq
}

// bodyExists opens the stored body of key and closes it again: a reader
// left open would hold the blob (Windows then cannot delete it).
func bodyExists(s *Store, key string) error {
	rc, _, err := s.OpenBody(key)
	if err != nil {
		return err
	}
	return rc.Close()
}

// mustRead reads a stored body by content address.
func mustRead(tb testing.TB, s *Store, key string) []byte {
	tb.Helper()
	rc, size, err := s.OpenBody(key)
	if err != nil {
		tb.Fatalf("OpenBody(%s): %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	if int64(len(data)) != size {
		tb.Errorf("OpenBody size = %d, read %d bytes", size, len(data))
	}
	return data
}

// jsonEqual compares values by their JSON encoding, as the store does.
func jsonEqual(tb testing.TB, got, want any) {
	tb.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		tb.Errorf("got %s, want %s", g, w)
	}
}
