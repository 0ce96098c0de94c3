package store

import (
	"errors"
	"testing"
)

func TestStore_PutAnchor_KeptByCheckpointAndKind(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{Now: testClock()})
	if got, err := s.Anchors(AnchorTimestamp); err != nil || len(got) != 0 {
		t.Fatalf("Anchors of a new store: got %v, %v", got, err)
	}
	if err := s.PutAnchor(Anchor{Checkpoint: 1, Kind: AnchorTimestamp, Data: []byte("tsr")}); !errors.Is(err, ErrNotFound) {
		t.Errorf("anchor of a missing checkpoint: got %v, want ErrNotFound", err)
	}
	mustAppend(t, s, request("a.example", "/1"), nil)
	for range 2 {
		if _, err := s.AppendCheckpoint(1, []byte("note")); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []Anchor{
		{Checkpoint: 2, Kind: AnchorTimestamp, Data: []byte("tsr 2")},
		{Checkpoint: 1, Kind: AnchorWitness, Data: []byte("old receipt")},
		{Checkpoint: 1, Kind: AnchorWitness, Data: []byte("receipt 1")},
	} {
		if err := s.PutAnchor(a); err != nil {
			t.Fatalf("PutAnchor %+v: %v", a, err)
		}
	}
	if err := s.PutAnchor(Anchor{Checkpoint: 1, Kind: AnchorTimestamp}); !errors.Is(err, ErrInvalid) {
		t.Errorf("anchor without data: got %v, want ErrInvalid", err)
	}
	s.Close()

	r := mustOpen(t, dir, Options{ReadOnly: true})
	ts, err := r.Anchors(AnchorTimestamp)
	if err != nil || len(ts) != 1 || string(ts[2]) != "tsr 2" {
		t.Errorf("timestamps: got %v, %v; want checkpoint 2's only", ts, err)
	}
	ws, err := r.Anchors(AnchorWitness)
	if err != nil || len(ws) != 1 || string(ws[1]) != "receipt 1" {
		t.Errorf("witness receipts: got %v, %v; want checkpoint 1's newest", ws, err)
	}
	if err := r.PutAnchor(Anchor{Checkpoint: 1, Kind: AnchorWitness, Data: []byte("x")}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("PutAnchor read-only: got %v, want ErrReadOnly", err)
	}
}
