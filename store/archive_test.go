package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestStore_Prune_KeepUnarchivedHoldsBodiesBeyondTheArchive(t *testing.T) {
	now := day0.AddDate(0, 0, 100)
	s := mustOpen(t, newTestDir(t), Options{InlineMax: 64, Now: func() time.Time { return now }})
	exchangeAt(t, s, day0, "archived request", "archived response")
	_, lateResp := exchangeAt(t, s, day0.Add(time.Hour), "unarchived request", "unarchived response")
	if err := s.SetArchiveState(ArchiveState{Size: 2}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Prune(context.Background(), Retention{MaxAge: 24 * time.Hour, KeepUnarchived: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pruned != 2 || res.Kept != 2 {
		t.Fatalf("got pruned %d kept %d, want 2 and 2 (the archived exchange only)", res.Pruned, res.Kept)
	}
	r, err := s.Record(lateResp)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.OpenBody(r.Body.StoredKey()); err != nil {
		t.Fatalf("unarchived body: got %v, want it kept", err)
	}
	if err := s.SetArchiveState(ArchiveState{Size: 4}); err != nil {
		t.Fatal(err)
	}
	if res, err = s.Prune(context.Background(), Retention{MaxAge: 24 * time.Hour, KeepUnarchived: true}); err != nil || res.Pruned != 2 {
		t.Fatalf("once archived: got pruned %d (%v), want 2", res.Pruned, err)
	}
	if _, _, err := s.OpenBody(r.Body.StoredKey()); !errors.Is(err, ErrPruned) {
		t.Fatalf("archived body: got %v, want ErrPruned", err)
	}
}

func TestStore_ArchiveState_OnlyGrows(t *testing.T) {
	s := newTestStore(t)
	exchangeAt(t, s, day0, "a", "b")
	if err := s.SetArchiveState(ArchiveState{Size: 3}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("beyond the log: got %v, want ErrInvalid", err)
	}
	if err := s.SetArchiveState(ArchiveState{Size: 2, Checkpoint: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetArchiveState(ArchiveState{Size: 1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("backwards: got %v, want ErrInvalid", err)
	}
	got, err := s.ArchiveState()
	if err != nil || got.Size != 2 || got.Checkpoint != 1 {
		t.Fatalf("got %+v (%v), want size 2 checkpoint 1", got, err)
	}
}
