package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var day0 = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// exchangeAt appends a request at t with reqBody and its response with
// respBody, and returns the request's and the response's Seq.
func exchangeAt(tb testing.TB, s *Store, t time.Time, reqBody, respBody string) (uint64, uint64) {
	tb.Helper()
	req := request("las.cloud.com", "/activate")
	req.Time = t
	reqSeq := mustAppend(tb, s, req, []byte(reqBody))
	resp := response(reqSeq)
	resp.Time = t.Add(time.Second)
	return reqSeq, mustAppend(tb, s, resp, []byte(respBody))
}

// rawRecords copies the records bucket as stored.
func rawRecords(tb testing.TB, s *Store) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
			out[string(k)] = bytes.Clone(v)
			return nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestStore_Prune_SharedBodySurvivesOldOnlyPruned(t *testing.T) {
	now := day0.AddDate(0, 0, 100)
	s := mustOpen(t, newTestDir(t), Options{InlineMax: 64, Now: func() time.Time { return now }})
	shared := `{"ver":"1.0","platform":"x"}`
	oldOnly := "an old response, inline"
	oldBlob := strings.Repeat("an old response kept as a blob file ", 10)
	oldReq, oldResp := exchangeAt(t, s, day0, shared, oldOnly)
	_, blobResp := exchangeAt(t, s, day0.Add(time.Hour), shared, oldBlob)
	newReq, _ := exchangeAt(t, s, day0.AddDate(0, 0, 95), shared, "recent")
	before := rawRecords(t, s)
	rootBefore, _ := s.TreeHash(6)

	res, err := s.Prune(context.Background(), Retention{MaxAge: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if got, want := res.Pruned, 2; got != want {
		t.Errorf("Pruned: got %d, want %d (%+v)", got, want, res)
	}
	if got, want := res.PrunedBytes, int64(len(oldOnly)+len(oldBlob)); got != want {
		t.Errorf("PrunedBytes: got %d, want %d", got, want)
	}
	if got, want := string(mustRead(t, s, sum(shared))), shared; got != want {
		t.Errorf("shared body: got %q, want %q", got, want)
	}
	for _, key := range []string{sum(oldOnly), sum(oldBlob)} {
		_, _, err := s.OpenBody(key)
		if !errors.Is(err, ErrPruned) || !errors.Is(err, ErrNotFound) {
			t.Errorf("OpenBody(pruned): got %v, want ErrPruned wrapping ErrNotFound", err)
		}
	}
	if _, err := os.Stat(s.blobPath(sum(oldBlob))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("blob of a pruned body: got %v, want it deleted", err)
	}

	c, err := s.Capture("1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Request.Pruned || !c.Response.Pruned {
		t.Errorf("capture 1: got request pruned %v, response pruned %v; want false, true", c.Request.Pruned, c.Response.Pruned)
	}
	if c, _ := s.Capture("5"); c.Request.Pruned || c.Response.Pruned {
		t.Errorf("recent capture: got pruned parts %+v %+v", c.Request, c.Response)
	}
	for seq, want := range map[uint64]bool{oldReq: false, oldResp: true, blobResp: true, newReq: false} {
		r, err := s.Record(seq)
		if err != nil || r.Body.Pruned != want {
			t.Errorf("Record(%d).Body.Pruned: got %v (%v), want %v", seq, r.Body.Pruned, err, want)
		}
	}
	var fromRecords []uint64
	s.Records(0, func(r *Record) error {
		if r.Body.Pruned {
			fromRecords = append(fromRecords, r.Seq)
		}
		return nil
	})
	if len(fromRecords) != 2 || fromRecords[0] != oldResp || fromRecords[1] != blobResp {
		t.Errorf("Records: pruned seqs %v, want [%d %d]", fromRecords, oldResp, blobResp)
	}

	after := rawRecords(t, s)
	for k, v := range before {
		if !bytes.Equal(after[k], v) {
			t.Errorf("record %x changed: %s -> %s", k, v, after[k])
		}
	}
	if rootAfter, _ := s.TreeHash(6); rootAfter != rootBefore {
		t.Errorf("root hash changed by pruning")
	}

	// Nothing more to do on a second run.
	if res, err := s.Prune(context.Background(), Retention{MaxAge: 90 * 24 * time.Hour}); err != nil || res.Pruned != 0 {
		t.Errorf("second Prune: got %+v, %v; want nothing pruned", res, err)
	}
}

func TestStore_Prune_SameBytesAppendedAgainAreStoredAnew(t *testing.T) {
	now := day0.AddDate(1, 0, 0)
	s := mustOpen(t, newTestDir(t), Options{InlineMax: 64, Now: func() time.Time { return now }})
	blob := strings.Repeat("b", 500)
	_, oldResp := exchangeAt(t, s, day0, "r", blob)
	if res, err := s.Prune(context.Background(), Retention{MaxAge: time.Hour}); err != nil || res.Pruned != 2 {
		t.Fatalf("Prune: got %+v, %v; want 2 pruned", res, err)
	}
	exchangeAt(t, s, now, "r", blob)
	if got := string(mustRead(t, s, sum(blob))); got != blob {
		t.Errorf("body appended again: got %d bytes, want %d", len(got), len(blob))
	}
	if r, _ := s.Record(oldResp); r.Body.Pruned {
		t.Errorf("old record: Pruned, yet its bytes are stored again")
	}
}

func TestStore_Prune_MaxBytesOldestUseFirst(t *testing.T) {
	now := day0.AddDate(0, 0, 10)
	s := mustOpen(t, newTestDir(t), Options{Now: func() time.Time { return now }})
	var keys []string
	for i := range 3 {
		body := strings.Repeat(string(rune('a'+i)), 100)
		keys = append(keys, sum(body))
		r := request("las.cloud.com", "/")
		r.Time = day0.AddDate(0, 0, i)
		mustAppend(t, s, r, []byte(body))
	}
	res, err := s.Prune(context.Background(), Retention{MaxBytes: 150})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pruned != 2 || res.KeptBytes != 100 || res.Kept != 1 {
		t.Errorf("Prune: got %+v, want 2 pruned, 1 body of 100 bytes kept", res)
	}
	if err := bodyExists(s, keys[2]); err != nil {
		t.Errorf("newest body: %v", err)
	}
	if _, _, err := s.OpenBody(keys[0]); !errors.Is(err, ErrPruned) {
		t.Errorf("oldest body: got %v, want ErrPruned", err)
	}
}

// An Append that finds a body already stored keeps the stored copy (dedup);
// a concurrent Prune must not delete that copy under it.
func TestStore_Prune_ConcurrentAppendOfOldBody(t *testing.T) {
	now := day0.AddDate(1, 0, 0)
	for i := range 20 {
		s := mustOpen(t, newTestDir(t), Options{InlineMax: 64, Now: func() time.Time { return now }})
		blob := strings.Repeat("x", 300+i)
		exchangeAt(t, s, day0, "old", blob)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				exchangeAt(t, s, now, "new", blob)
			}
		}()
		if _, err := s.Prune(context.Background(), Retention{MaxAge: time.Hour}); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if err := bodyExists(s, sum(blob)); err != nil {
			t.Fatalf("round %d: body used by recent captures: %v", i, err)
		}
	}
}

// On Windows a blob cannot be deleted while a reader holds it: that run
// says so (Held) instead of counting it pruned, and the next one deletes it.
func TestStore_Prune_BlobHeldByAReaderIsDeletedByTheNextRun(t *testing.T) {
	now := day0.AddDate(1, 0, 0)
	s := mustOpen(t, newTestDir(t), Options{InlineMax: 64, Now: func() time.Time { return now }})
	blob := strings.Repeat("h", 500)
	exchangeAt(t, s, day0, "old", blob)
	rc, _, err := s.OpenBody(sum(blob))
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Prune(context.Background(), Retention{MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	// Two bodies are old: the 500-byte blob and a 3-byte inline one.
	if runtime.GOOS == "windows" && (first.Held != 1 || first.Pruned != 1 || first.Kept != 1 || first.KeptBytes != 500) {
		t.Errorf("Prune while a reader holds the blob: got %+v, want it held and kept, not pruned", first)
	}
	second, err := s.Prune(context.Background(), Retention{MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if first.PrunedBytes+second.PrunedBytes != 503 || second.Held != 0 || second.Kept != 0 {
		t.Errorf("two runs: got %+v then %+v, want the blob pruned once and nothing held", first, second)
	}
	if _, _, err := s.OpenBody(sum(blob)); !errors.Is(err, ErrPruned) {
		t.Errorf("OpenBody after the second run: got %v, want ErrPruned", err)
	}
}

func TestStore_Prune_ReadOnly(t *testing.T) {
	dir := newTestDir(t)
	s, _ := Open(dir, Options{})
	s.Close()
	ro := mustOpen(t, dir, Options{ReadOnly: true})
	if _, err := ro.Prune(context.Background(), Retention{MaxAge: time.Hour}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Prune read-only: got %v, want ErrReadOnly", err)
	}
}

func TestStore_Usage_CountsDBAndBlobs(t *testing.T) {
	s := mustOpen(t, newTestDir(t), Options{InlineMax: 64})
	exchangeAt(t, s, day0, "small", strings.Repeat("z", 1000))
	u, err := s.Usage()
	if err != nil {
		t.Fatal(err)
	}
	if u.Blobs != 1000 || u.BlobFiles != 1 || u.DB <= 0 || u.Total() != u.DB+1000 {
		t.Errorf("Usage: got %+v, want one 1000-byte blob and a database", u)
	}
}

// The database's size is its pages in use, not its file, which bbolt grows
// to the whole memory map on Windows (store_size_bytes overstated it there).
func TestStore_Usage_DBIsPagesInUseNotTheMappedFile(t *testing.T) {
	s := mustOpen(t, newTestDir(t), Options{})
	for i := range 200 {
		exchangeAt(t, s, day0, fmt.Sprintf("e%d", i), strings.Repeat("z", 500))
	}
	u, err := s.Usage()
	if err != nil {
		t.Fatal(err)
	}
	var inUse int64
	if err := s.view(func(tx *bolt.Tx) error { inUse = tx.Size(); return nil }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if u.DB != inUse || u.DBFile != fi.Size() || u.DB > u.DBFile {
		t.Errorf("Usage: got DB %d, DBFile %d; want DB = pages in use %d <= the file's %d", u.DB, u.DBFile, inUse, fi.Size())
	}
	t.Logf("pages in use %d bytes, file %d bytes", inUse, fi.Size())
}

// BenchmarkStore_Prune_Scan100k is what a retention run costs on a store of
// 100k exchanges (200k records) when nothing is old enough: one read of
// every record.
func BenchmarkStore_Prune_Scan100k(b *testing.B) {
	s := newTestStore(b)
	fillExchanges(b, s, 100_000)
	for b.Loop() {
		if _, err := s.Prune(context.Background(), Retention{MaxAge: 24 * time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
}
