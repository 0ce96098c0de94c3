package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCompact_ShrinksAndKeepsTheLog(t *testing.T) {
	dir := newTestDir(t)
	now := day0.AddDate(0, 0, 200)
	s, err := Open(dir, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		exchangeAt(t, s, day0.Add(time.Duration(i)*time.Minute), "req", strings.Repeat(string(rune('a'+i%26)), 4000)+string(rune(i)))
	}
	if _, err := s.Prune(context.Background(), Retention{MaxAge: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	size, _ := s.Size()
	root, _ := s.TreeHash(size)

	// serve holds the store: compact refuses.
	if _, err := Compact(dir, 50*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Errorf("Compact while open: got %v, want ErrLocked", err)
	}
	s.Close()

	res, err := Compact(dir, 0)
	if err != nil {
		t.Fatalf("Compact: %v", err)
	}
	if res.After >= res.Before || res.Records != size {
		t.Errorf("Compact: got %+v, want a smaller file with %d records", res, size)
	}
	s = mustOpen(t, dir, Options{})
	if n, _ := s.Size(); n != size {
		t.Errorf("size after compact: got %d, want %d", n, size)
	}
	if h, _ := s.TreeHash(size); h != root {
		t.Errorf("root after compact differs")
	}
	if c, err := s.Capture("1"); err != nil || !c.Response.Pruned {
		t.Errorf("capture 1 after compact: %v, pruned %v", err, c != nil && c.Response.Pruned)
	}
	exchangeAt(t, s, now, "after", "compact") // still writable
}
