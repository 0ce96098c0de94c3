package store

import (
	"context"
	"fmt"
	"reflect"
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

// TestStore_Captures_MatchesRecordsAndCapture: the one-decode scan hands fn
// every record Records does and, for each opening record, what Capture
// returns, across chunk boundaries (responses answered chunks later), with
// a tunnel, a request still waiting and a start after a request.
func TestStore_Captures_MatchesRecordsAndCapture(t *testing.T) {
	s := mustOpen(t, newTestDir(t), Options{})
	var open []uint64
	for i := range 300 {
		open = append(open, mustAppend(t, s, request("las.cloud.com", fmt.Sprint("/", i)), []byte("body")))
		if i >= 5 { // answer five behind, so responses trail their requests
			mustAppend(t, s, response(open[i-5]), []byte("ok"))
		}
	}
	mustAppend(t, s, &Record{Kind: KindTunnel, Host: "t.example"}, nil)
	for _, seq := range open[295:299] {
		mustAppend(t, s, response(seq), nil)
	} // open[299] waits

	for _, from := range []uint64{0, 2, 260, 600} {
		var want []*Record
		s.Records(from, func(r *Record) error { want = append(want, r); return nil })
		var got []*Record
		err := s.Captures(from, func(r *Record, c *Capture) error {
			got = append(got, r)
			if (r.Kind == KindResponse) != (c == nil) {
				t.Fatalf("from %d: record %d (%s) with capture %v", from, r.Seq, r.Kind, c)
			}
			if c == nil {
				return nil
			}
			wantC, err := s.Capture(c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c, wantC) {
				t.Fatalf("from %d: capture %s\n got %+v\nwant %+v", from, c.ID, c, wantC)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("from %d: %d records, want the %d Records gives", from, len(got), len(want))
		}
	}
	var complete, waiting int
	s.Captures(1, func(r *Record, c *Capture) error {
		switch {
		case c == nil:
		case c.Complete:
			complete++
		default:
			waiting++
		}
		return nil
	})
	if complete != 300 || waiting != 1 {
		t.Fatalf("%d complete captures and %d waiting, want 300 (299 exchanges and a tunnel) and 1", complete, waiting)
	}
}
