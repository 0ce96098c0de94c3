package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestStore_IndexRecord_IsALeafNotACapture: an index record is a leaf of
// the log with its body, but no capture: List, Capture and the capture
// scans pass it by, the indexes check clean, and retention keeps its body.
func TestStore_IndexRecord_IsALeafNotACapture(t *testing.T) {
	s := newTestStore(t)
	req := mustAppend(t, s, request("example.com", "/a"), []byte("up"))
	mustAppend(t, s, response(req), []byte("down"))
	text := []byte("telltale-index/v3\nsize 2\n")
	idx := mustAppend(t, s, &Record{Kind: KindIndex}, text)

	r, err := s.Record(idx)
	if err != nil || r.Kind != KindIndex || r.Capture != idx || r.Body.Size != int64(len(text)) {
		t.Fatalf("Record(%d) = %+v, %v; want an index record capturing itself with its body", idx, r, err)
	}
	if got := mustRead(t, s, r.Body.SHA256); string(got) != string(text) {
		t.Errorf("body = %q, want %q", got, text)
	}
	caps, err := s.List(Query{})
	if err != nil || len(caps) != 1 || caps[0].ID != "1" {
		t.Errorf("List = %+v, %v; want capture 1 only", caps, err)
	}
	if _, err := s.Capture("3"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Capture(3) = %v, want ErrNotFound", err)
	}
	var opened []uint64
	err = s.Captures(1, func(r *Record, c *Capture) error {
		if c != nil {
			opened = append(opened, r.Seq)
		}
		return nil
	})
	if err != nil || len(opened) != 1 || opened[0] != 1 {
		t.Errorf("Captures opened %v, %v; want [1]", opened, err)
	}
	if problems, err := s.CheckIndexes(); err != nil || len(problems) != 0 {
		t.Errorf("CheckIndexes = %v, %v; want none", problems, err)
	}
	res, err := s.Prune(context.Background(), Retention{MaxAge: time.Nanosecond})
	if err != nil || res.Pruned != 2 {
		t.Fatalf("Prune = %+v, %v; want the two capture bodies pruned", res, err)
	}
	if err := bodyExists(s, r.Body.SHA256); err != nil {
		t.Errorf("index body after Prune: %v, want kept", err)
	}
	for _, bad := range []*Record{{Kind: KindIndex, Capture: 1}, {Kind: KindIndex, Head: &Head{Method: "GET"}}} {
		if _, err := s.Append(context.Background(), bad, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("Append(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
}
