package store

import (
	"errors"
	"io"
	"testing"
	"time"
)

// storeSource restores from another store; bodies in missing read as
// not found.
type storeSource struct {
	s       *Store
	missing map[string]bool
	forge   uint64 // a record whose value is changed
}

func (src storeSource) Records(fn func(Restored) error) error {
	return src.s.RawRecords(1, func(seq uint64, value []byte) error {
		r, err := decodeRecord(value)
		if err != nil {
			return err
		}
		leaf, err := LeafData(r)
		if err != nil {
			return err
		}
		if seq == src.forge {
			value = []byte(string(value[:len(value)-1]) + `,"error":"forged"}`)
		}
		return fn(Restored{Seq: seq, Value: value, Leaf: leaf})
	})
}

func (src storeSource) Body(key string) ([]byte, error) {
	if src.missing[key] {
		return nil, ErrNotFound
	}
	rc, _, err := src.s.OpenBody(key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func (src storeSource) Checkpoints() []Checkpoint {
	cps, _ := src.s.Checkpoints()
	return cps
}

func TestStore_Restore_SameTreeRecordsAndBodies(t *testing.T) {
	from := mustOpen(t, newTestDir(t), Options{InlineMax: 64})
	exchangeAt(t, from, day0, "small", "a body long enough to be kept as a blob file, not inline in the database")
	_, lost := exchangeAt(t, from, day0.Add(time.Hour), "another", "this one the archive lost")
	if _, err := from.AppendCheckpoint(4, []byte("a signed note\n")); err != nil {
		t.Fatal(err)
	}
	lostRec, _ := from.Record(lost)
	to := mustOpen(t, newTestDir(t), Options{InlineMax: 64})
	if err := to.Restore(storeSource{s: from, missing: map[string]bool{lostRec.Body.StoredKey(): true}}); err != nil {
		t.Fatal(err)
	}
	want, _ := from.TreeHash(4)
	if got, err := to.TreeHash(4); err != nil || got != want {
		t.Fatalf("root: got %v (%v), want %v", got, err, want)
	}
	for seq := uint64(1); seq <= 4; seq++ {
		a, _ := from.Record(seq)
		b, err := to.Record(seq)
		if err != nil || a.Body.SHA256 != b.Body.SHA256 || a.Time != b.Time || a.Kind != b.Kind {
			t.Fatalf("record %d: got %+v (%v), want %+v", seq, b, err, a)
		}
		if seq == lost {
			if !b.Body.Pruned {
				t.Errorf("record %d: the body the source lacks should read as pruned", seq)
			}
			continue
		}
		if got, want := string(mustRead(t, to, b.Body.StoredKey())), string(mustRead(t, from, a.Body.StoredKey())); got != want {
			t.Errorf("record %d body: got %q, want %q", seq, got, want)
		}
	}
	if cps, _ := to.Checkpoints(); len(cps) != 1 || cps[0].Size != 4 {
		t.Errorf("checkpoints: %+v", cps)
	}
	if err := to.Restore(storeSource{s: from}); !errors.Is(err, ErrInvalid) {
		t.Errorf("restore into a store with records: got %v, want ErrInvalid", err)
	}
	forged := mustOpen(t, newTestDir(t), Options{})
	if err := forged.Restore(storeSource{s: from, forge: 2}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a record that does not make its leaf: got %v, want ErrCorrupt", err)
	}
}
