package store

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
)

func TestStore_Open_MarksCapturesLeftWithoutResponse(t *testing.T) {
	dir := newTestDir(t)
	s, err := Open(dir, Options{Now: testClock()})
	if err != nil {
		t.Fatal(err)
	}
	done := mustAppend(t, s, request("las.cloud.com", "/done"), []byte("a"))
	mustAppend(t, s, response(done), []byte("ok"))
	cut := mustAppend(t, s, request("las.cloud.com", "/cut"), []byte("b"))
	tunnel := mustAppend(t, s, &Record{Kind: KindTunnel, Host: "other.example"}, nil)
	s.Close()

	ro := mustOpen(t, dir, Options{ReadOnly: true})
	if c, _ := ro.Capture(fmt.Sprint(cut)); c == nil || c.Complete {
		t.Fatalf("read-only open: capture %d = %+v, want it incomplete and left as it is", cut, c)
	}
	ro.Close()

	s = mustOpen(t, dir, Options{Now: testClock()})
	c, err := s.Capture(fmt.Sprint(cut))
	if err != nil || !c.Complete || c.Error != Interrupted || c.Status != 0 || len(c.Leaves) != 2 {
		t.Fatalf("capture %d after a writable open: got %+v, %v; want complete with error %q", cut, c, err, Interrupted)
	}
	r, err := s.Record(c.Leaves[1] + 1)
	if err != nil || !r.NotRecorded() || r.Capture != cut || r.Host != "las.cloud.com" {
		t.Errorf("its response record: got %+v, %v; want one that says the response was not recorded", r, err)
	}
	for _, id := range []uint64{done, tunnel} {
		if c, _ := s.Capture(fmt.Sprint(id)); c == nil || c.Error != "" {
			t.Errorf("capture %d: got %+v, want it untouched", id, c)
		}
	}
	size, _ := s.Size()
	s.Close()
	s = mustOpen(t, dir, Options{Now: testClock()})
	if again, _ := s.Size(); again != size {
		t.Errorf("a second open appended %d records, want none", again-size)
	}
}

func TestStore_FailRecord_FailsOnlyThatAppend(t *testing.T) {
	full := fmt.Errorf("write: %w", syscall.ENOSPC)
	s := mustOpen(t, newTestDir(t), Options{Now: testClock(), FailRecord: func(r *Record) error {
		if r.Kind == KindResponse {
			return full
		}
		return nil
	}})
	req := mustAppend(t, s, request("las.cloud.com", "/"), []byte("a"))
	if _, err := s.Append(context.Background(), response(req), nil); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("response Append: got %v, want ENOSPC", err)
	}
	if n, _ := s.Size(); n != 1 {
		t.Errorf("size %d, want 1: the failed record must not be written", n)
	}
}
