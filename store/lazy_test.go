package store

import (
	"context"
	"testing"
	"time"
)

func TestStore_AppendLazy_RidesAlongWithNextAppend(t *testing.T) {
	s := mustOpen(t, newTestDir(t), Options{LazyDelay: time.Hour})
	req := mustAppend(t, s, request("las.cloud.com", "/a"), nil)
	before := s.Stats().Batches

	lazyDone := make(chan error, 1)
	go func() {
		_, err := s.AppendLazy(context.Background(), response(req), nil)
		lazyDone <- err
	}()
	select {
	case err := <-lazyDone:
		t.Fatalf("lazy append committed alone before any urgent append (err %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	mustAppend(t, s, request("las.cloud.com", "/b"), nil)
	if err := <-lazyDone; err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Batches - before; got != 1 {
		t.Errorf("got %d commits for a lazy and an urgent append, want 1", got)
	}
	c, err := s.Capture("1")
	if err != nil || !c.Complete {
		t.Errorf("capture 1: got %+v %v, want complete", c, err)
	}
}

func TestStore_AppendLazy_CommitsAfterDelayAlone(t *testing.T) {
	s := mustOpen(t, newTestDir(t), Options{LazyDelay: 20 * time.Millisecond})
	req := mustAppend(t, s, request("las.cloud.com", "/a"), nil)
	start := time.Now()
	if _, err := s.AppendLazy(context.Background(), response(req), nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("lazy append returned after %v, before its delay", d)
	}
	if n, _ := s.Size(); n != 2 {
		t.Errorf("size: got %d, want 2", n)
	}
}

func TestStore_AppendLazy_FlushedByClose(t *testing.T) {
	dir := newTestDir(t)
	s, err := Open(dir, Options{LazyDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	req := mustAppend(t, s, request("las.cloud.com", "/a"), nil)
	done := make(chan error, 1)
	go func() {
		_, err := s.AppendLazy(context.Background(), response(req), nil)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it queue
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("lazy append across Close: %v", err)
	}
	s = mustOpen(t, dir, Options{})
	if n, _ := s.Size(); n != 2 {
		t.Errorf("after reopen: size %d, want 2", n)
	}
}

func TestStore_Skim_MatchesRecordsIdentity(t *testing.T) {
	s := mustOpen(t, newTestDir(t), Options{})
	for i := 0; i < 5; i++ {
		seq := mustAppend(t, s, request("las.cloud.com", "/a"), []byte("body"))
		mustAppend(t, s, response(seq), nil)
	}
	var full, skim []*Record
	s.Records(1, func(r *Record) error { full = append(full, r); return nil })
	s.Skim(1, func(r *Record) error { skim = append(skim, r); return nil })
	if len(full) != 10 || len(skim) != len(full) {
		t.Fatalf("got %d records and %d skimmed, want 10 each", len(full), len(skim))
	}
	for i := range full {
		f, k := full[i], skim[i]
		if k.Seq != f.Seq || k.Capture != f.Capture || k.Kind != f.Kind || !k.Time.Equal(f.Time) || k.Host != f.Host || k.Head != nil {
			t.Errorf("record %d: skimmed %+v, want the identity of %+v", i, k, f)
		}
	}
}
