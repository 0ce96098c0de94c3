package proxy

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/internal/wine"
	"github.com/telltale/telltale/store"
)

// fullDisk is a store whose response records fail with ENOSPC while full
// is set (a disk that filled up after the requests were recorded), behind
// a test proxy whose events go to a channel.
type fullDisk struct {
	*testProxy
	st     *store.Store
	dir    string
	full   atomic.Bool
	events chan Event
	logs   lockedBuffer
}

// lockedBuffer is a log sink the proxy's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newFullDisk(t *testing.T) *fullDisk {
	t.Helper()
	retries, every := responseRetries, markEvery
	responseRetries, markEvery = []time.Duration{time.Millisecond, time.Millisecond}, 10*time.Millisecond
	t.Cleanup(func() { responseRetries, markEvery = retries, every })
	f := &fullDisk{dir: wine.TempDir(t), events: make(chan Event, 100)}
	f.full.Store(true)
	var err error
	f.st, err = store.Open(f.dir, store.Options{FailRecord: func(r *store.Record) error {
		if r.Kind == store.KindResponse && f.full.Load() {
			return fmt.Errorf("write %s record: %w", r.Kind, syscall.ENOSPC)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() }) // after the proxy's shutdown
	up := newUpstream(t, false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	f.testProxy = newTestProxy(t, up, func(o *Options) {
		o.Recorder = f.st
		o.Observe = func(e Event) { f.events <- e }
		o.Logger = zerolog.New(&f.logs)
	})
	return f
}

// exchange sends n requests, each answered 200, and waits for the event
// of each, which must report the capture failure.
func (f *fullDisk) exchange(t *testing.T, n int) []string {
	t.Helper()
	c := f.client()
	for i := range n {
		resp, err := c.Post("https://las.cloud.com/upload", "application/json", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "hello" {
			t.Fatalf("request %d: got %d %q, want the upstream's 200 hello", i, resp.StatusCode, b)
		}
	}
	var ids []string
	for range n {
		select {
		case e := <-f.events:
			if !e.CaptureFailed || e.ID == 0 || e.Status != 200 || !strings.Contains(e.Err, "no space left on device") {
				t.Errorf("event: got %+v, want a capture failure of an acknowledged request", e)
			}
			ids = append(ids, fmt.Sprint(e.ID))
		case <-time.After(10 * time.Second):
			t.Fatal("no event for an exchange whose response record failed")
		}
	}
	slices.Sort(ids)
	return ids
}

// waitComplete returns the captures by id once every one is complete.
func waitComplete(t *testing.T, st *store.Store, ids []string) map[string]*store.Capture {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := map[string]*store.Capture{}
		for _, id := range ids {
			if c, err := st.Capture(id); err == nil && c.Complete {
				out[id] = c
			}
		}
		if len(out) == len(ids) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("captures %v: only %d complete after 10s", ids, len(out))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// verifyWarns runs the store verifier and checks that it passes and warns
// about exactly ids.
func verifyWarns(t *testing.T, st *store.Store, ids []string) {
	t.Helper()
	_, vkey, err := note.GenerateKey(rand.Reader, "telltale/test")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := note.NewVerifier(vkey)
	rep, err := evidence.Verify(st, evidence.VerifyOptions{Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	var warned []string
	for _, w := range rep.Warnings {
		warned = append(warned, fmt.Sprint(w.Capture))
	}
	slices.Sort(warned)
	if !rep.OK() || !slices.Equal(warned, ids) {
		t.Errorf("verify: failures %v, warnings %v; want no failure and a warning for each of %v", rep.Failures, rep.Warnings, ids)
	}
}

func TestProxy_ResponseNotRecorded_CaptureSaysSoOnceDiskHasRoom(t *testing.T) {
	f := newFullDisk(t)
	ids := f.exchange(t, 3)
	// Wait for the failed marking attempts, as the log tells them.
	for deadline := time.Now().Add(5 * time.Second); strings.Count(f.logs.String(), `{"level":"error","component":"proxy","id":`) < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("no three error log lines about the exchanges after 5s:\n%s", f.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, id := range ids {
		if c, err := f.st.Capture(id); err != nil || c.Complete {
			t.Fatalf("capture %s while the disk is full: got %+v, %v; want it incomplete", id, c, err)
		}
	}
	if n := strings.Count(f.logs.String(), `{"level":"error","component":"proxy","id":`); n < 3 {
		t.Errorf("error log lines about the exchanges: got %d, want 3 or more in\n%s", n, f.logs.String())
	}
	f.full.Store(false)
	for id, c := range waitComplete(t, f.st, ids) {
		if c.Status != 0 || !strings.HasPrefix(c.Error, "response not recorded: the upstream answered 200") ||
			!strings.Contains(c.Error, "no space left on device") {
			t.Errorf("capture %s: status %d, error %q; want it to say the 200 response was not recorded, and why", id, c.Status, c.Error)
		}
	}
	verifyWarns(t, f.st, ids)
}

func TestProxy_ResponseNotRecorded_MarkedAtNextOpen(t *testing.T) {
	f := newFullDisk(t)
	ids := f.exchange(t, 2)
	ctx, cancel := contextWithTimeout(5 * time.Second)
	defer cancel()
	if err := f.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown while response records keep failing: %v", err)
	}
	f.st.Close()
	st, err := store.Open(f.dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for id, c := range waitComplete(t, st, ids) {
		if c.Error != store.Interrupted {
			t.Errorf("capture %s after the next open: error %q, want %q", id, c.Error, store.Interrupted)
		}
	}
	verifyWarns(t, st, ids)
}
