package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/telltale/telltale/internal/wine"
)

func TestStore_AppendCheckpoint_OrderAndReopen(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{Now: testClock()})
	if _, err := s.LatestCheckpoint(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LatestCheckpoint of a new store: got %v, want ErrNotFound", err)
	}
	if cps, err := s.Checkpoints(); err != nil || len(cps) != 0 {
		t.Fatalf("Checkpoints of a new store: got %v, %v", cps, err)
	}
	if _, err := s.AppendCheckpoint(1, []byte("note")); !errors.Is(err, ErrInvalid) {
		t.Errorf("checkpoint beyond the log: got %v, want ErrInvalid", err)
	}
	mustAppend(t, s, request("a.example", "/1"), nil)
	mustAppend(t, s, request("a.example", "/2"), nil)
	first, err := s.AppendCheckpoint(2, []byte("note 2"))
	if err != nil || first.Index != 1 || first.Size != 2 {
		t.Fatalf("AppendCheckpoint: got %+v, %v", first, err)
	}
	if _, err := s.AppendCheckpoint(1, []byte("note 1")); !errors.Is(err, ErrInvalid) {
		t.Errorf("checkpoint going backwards: got %v, want ErrInvalid", err)
	}
	if _, err := s.AppendCheckpoint(2, []byte("again")); err != nil {
		t.Errorf("a second checkpoint of the same size: %v", err)
	}
	s.Close()

	r := mustOpen(t, dir, Options{ReadOnly: true})
	cps, err := r.Checkpoints()
	if err != nil || len(cps) != 2 || cps[1].Index != 2 || string(cps[0].Note) != "note 2" || cps[1].Size != 2 {
		t.Fatalf("after reopen: got %+v, %v", cps, err)
	}
	if _, err := r.AppendCheckpoint(2, nil); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only: got %v, want ErrReadOnly", err)
	}
	latest, err := r.LatestCheckpoint()
	if err != nil || string(latest.Note) != "again" {
		t.Errorf("LatestCheckpoint: got %+v, %v", latest, err)
	}
}

func TestStore_WriteTo_SnapshotOpensWithLiveBlobs(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{Now: testClock(), InlineMax: 16})
	big := bytes.Repeat([]byte("x"), 100) // a blob file
	seq := mustAppend(t, s, request("a.example", "/"), big)
	s.AppendCheckpoint(1, []byte("n"))
	snap := filepath.Join(wine.TempDir(t), "snap.db")
	f, _ := os.Create(snap)
	if _, err := s.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	mustAppend(t, s, request("a.example", "/after"), nil) // not in the snapshot

	c := mustOpen(t, dir, Options{ReadOnly: true, DBPath: snap})
	if n, _ := c.Size(); n != 1 {
		t.Errorf("snapshot size: got %d, want 1", n)
	}
	if got := mustRead(t, c, sum(string(big))); !bytes.Equal(got, big) {
		t.Error("snapshot does not read the live blob")
	}
	if cps, _ := c.Checkpoints(); len(cps) != 1 {
		t.Errorf("snapshot checkpoints: got %d, want 1", len(cps))
	}
	if r, err := c.Record(seq); err != nil || r.Head.URL != "https://a.example/" {
		t.Errorf("snapshot record: %+v %v", r, err)
	}
}

func TestStore_RawReadsAndCheckIndexes(t *testing.T) {
	dir := wine.TempDir(t) // not newTestDir: the test breaks the indexes on purpose
	s := mustOpen(t, dir, Options{Now: testClock()})
	open := mustAppend(t, s, request("a.example", "/"), nil)
	resp := mustAppend(t, s, response(open), []byte("ok"))
	var seqs []uint64
	s.RawRecords(0, func(seq uint64, v []byte) error {
		seqs = append(seqs, seq)
		if r, err := decodeRecord(v); err != nil || r.Seq != seq {
			t.Errorf("raw record %d: %v", seq, err)
		}
		return nil
	})
	if len(seqs) != 2 {
		t.Errorf("RawRecords: got %v", seqs)
	}
	hs, err := s.StoredHashRange(0, 4)
	if err != nil || len(hs) != 4 || hs[0] == nil || hs[2] == nil || hs[3] != nil {
		t.Errorf("StoredHashRange(0, 4): got %d hashes, %v; want 3 and a nil", len(hs), err)
	}
	if m, err := s.ResponseCaptures(); err != nil || m[resp] != open {
		t.Errorf("ResponseCaptures: got %v, %v", m, err)
	}
	if p, err := s.CheckIndexes(); err != nil || len(p) != 0 {
		t.Fatalf("CheckIndexes of a clean store: %v, %v", p, err)
	}
	s.Close()

	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		tx.Bucket(bucketByHost).Delete(hostKey("a.example", mustRecord(t, tx, open).Time, open))
		tx.Bucket(bucketByTime).Put(timeKey(mustRecord(t, tx, open).Time, 99), empty)
		return nil
	})
	db.Close()
	s = mustOpen(t, dir, Options{ReadOnly: true})
	p, err := s.CheckIndexes()
	want := []IndexProblem{{Seq: 1, Capture: 1, Msg: "missing from the host index"},
		{Seq: 99, Capture: 99, Msg: "time index entry names no such capture"}}
	jsonEqual(t, p, want)
	if err != nil {
		t.Error(err)
	}
}

func mustRecord(t *testing.T, tx *bolt.Tx, seq uint64) *Record {
	r, err := getRecord(tx, seq)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
