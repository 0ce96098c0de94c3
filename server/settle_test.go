package server

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/store"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// TestCheckpointer_Due_AfterTheLogSettles: with an injected clock, the
// loop signs once the log has not grown for the debounce, and not while
// it still grows or when nothing is new; failed anchors are retried a
// debounce later while the checkpoint is recent, then no more.
func TestCheckpointer_Due_AfterTheLogSettles(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := openCheckpointer(dir, time.Hour, st, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Date(2026, 4, 15, 3, 0, 0, 0, time.UTC)}
	c.now, c.debounce = clock.Now, time.Minute
	appendOne := func() {
		t.Helper()
		if _, err := st.Append(context.Background(), &store.Record{Kind: store.KindTunnel, Host: "example.org"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var s settling
	step := func(d time.Duration, want bool, what string) {
		t.Helper()
		clock.Add(d)
		if got := c.due(&s); got != want {
			t.Fatalf("%s: due %v, want %v", what, got, want)
		}
	}
	step(0, false, "empty log")
	appendOne()
	step(0, false, "a capture, just seen")
	step(30*time.Second, false, "30s later")
	appendOne()
	step(0, false, "another capture")
	step(59*time.Second, false, "59s after the last capture")
	step(2*time.Second, true, "61s after the last capture")
	step(0, false, "right after it said so (the signing failed, say)")
	if _, err := c.Sign(context.Background()); err != nil {
		t.Fatal(err)
	}
	step(2*time.Minute, false, "nothing new since the checkpoint")

	c.anchorRetry.Store(true) // as after a TSA that did not answer
	step(0, true, "anchors failed: retry")
	step(30*time.Second, false, "retried less than a debounce ago")
	step(31*time.Second, true, "a debounce later")
	step(evidence.StampWindow, false, "the checkpoint is too old for a timestamp to prove its time")
	if c.anchorRetry.Load() {
		t.Error("the retry is still pending for a checkpoint past the stamp window")
	}
}
