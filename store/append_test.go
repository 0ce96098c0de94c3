package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestStore_Append_RoundTripEachKind(t *testing.T) {
	s := newTestStore(t)
	req := request("api.example.com", "/v1/items?x=1")
	req.Head.Trailers = []Header{{Name: "X-Checksum", Value: "abc"}}
	reqSeq := mustAppend(t, s, req, []byte(`{"q":1}`))
	resp := response(reqSeq)
	mustAppend(t, s, resp, []byte("hello"))
	tunnel := &Record{Kind: KindTunnel, Client: "127.0.0.1:1", Host: "pinned.example", Port: "443",
		BytesUp: 100, BytesDown: 2000, Duration: 3 * time.Second}
	mustAppend(t, s, tunnel, nil)
	denied := &Record{Kind: KindDenied, Client: "127.0.0.1:2", Host: "blocked.example", Error: "denied by rule 3"}
	mustAppend(t, s, denied, nil)

	for i, want := range []*Record{req, resp, tunnel, denied} {
		if got, want := want.Seq, uint64(i+1); got != want {
			t.Errorf("Seq: got %d, want %d", got, want)
		}
		got, err := s.Record(want.Seq)
		if err != nil {
			t.Fatalf("Record(%d): %v", want.Seq, err)
		}
		jsonEqual(t, got, want)
	}
	if got, want := resp.Capture, reqSeq; got != want {
		t.Errorf("response Capture: got %d, want %d", got, want)
	}
	if got, want := req.Body, (BodyRef{SHA256: sum(`{"q":1}`), Size: 7}); got != want {
		t.Errorf("request Body: got %+v, want %+v", got, want)
	}
	if got, want := string(mustRead(t, s, resp.Body.SHA256)), "hello"; got != want {
		t.Errorf("response body: got %q, want %q", got, want)
	}
	if _, err := s.Record(5); !errors.Is(err, ErrNotFound) {
		t.Errorf("Record(5): got %v, want ErrNotFound", err)
	}
}

func TestStore_Append_ZeroTimeFromClock(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	s := mustOpen(t, newTestDir(t), Options{Now: func() time.Time { return now }})
	r := request("example.com", "/")
	mustAppend(t, s, r, nil)
	if !r.Time.Equal(now) {
		t.Errorf("Time: got %v, want %v", r.Time, now)
	}
	given := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	r = request("example.com", "/")
	r.Time = given
	mustAppend(t, s, r, nil)
	if !r.Time.Equal(given) {
		t.Errorf("given Time: got %v, want %v", r.Time, given)
	}
}

func TestStore_Append_Concurrent64(t *testing.T) {
	s := newTestStore(t)
	const writers, each = 64, 40
	var wg sync.WaitGroup
	seqs := make([][]uint64, writers)
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				r := request(fmt.Sprintf("h%d.example", w), fmt.Sprintf("/%d", i))
				seq, err := s.Append(context.Background(), r, nil)
				if err != nil {
					errs <- err
					return
				}
				seqs[w] = append(seqs[w], seq)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	checkDense(t, s, seqs)
	st := s.Stats()
	if st.Appends != writers*each || st.Batches >= st.Appends {
		t.Errorf("Stats: got %d appends in %d batches, want %d appends in fewer batches",
			st.Appends, st.Batches, writers*each)
	}
	t.Logf("%d appends in %d batches, largest %d", st.Appends, st.Batches, st.MaxBatch)
}

// checkDense checks that the Seqs writer w got are unique, together dense
// from 1, and lead to the records w appended.
func checkDense(t *testing.T, s *Store, seqs [][]uint64) {
	t.Helper()
	seen := make(map[uint64]bool)
	for w := range seqs {
		for i, seq := range seqs[w] {
			if seen[seq] {
				t.Fatalf("Seq %d returned twice", seq)
			}
			seen[seq] = true
			r, err := s.Record(seq)
			if err != nil {
				t.Fatalf("Record(%d): %v", seq, err)
			}
			if got, want := r.Head.URL, fmt.Sprintf("https://h%d.example/%d", w, i); got != want {
				t.Errorf("Record(%d).URL: got %s, want %s", seq, got, want)
			}
		}
	}
	for seq := uint64(1); seq <= uint64(len(seen)); seq++ {
		if !seen[seq] {
			t.Fatalf("Seq %d missing: seqs not dense", seq)
		}
	}
}

// failingCommits makes every group's WAL write fail while fail is set.
// The first commit waits for release, so that appends pile up behind it.
type failingCommits struct {
	fail    atomic.Bool
	entered chan struct{}
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	sizes   []uint64 // records in each failed batch
}

func (f *failingCommits) hook(records int) error {
	f.once.Do(func() {
		close(f.entered)
		<-f.release
	})
	if !f.fail.Load() {
		return nil
	}
	f.mu.Lock()
	f.sizes = append(f.sizes, uint64(records))
	f.mu.Unlock()
	return errors.New("disk on fire")
}

// appendBehindFirst appends one record and, while its commit waits in the
// hook, n more, which queue up for the next batch; then lets them go.
func appendBehindFirst(t *testing.T, s *Store, f *failingCommits, n int) ([]*Record, []error) {
	t.Helper()
	recs := make([]*Record, n+1)
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	for i := range recs {
		recs[i] = request("example.com", fmt.Sprint("/", i))
		wg.Go(func() { _, errs[i] = s.Append(context.Background(), recs[i], nil) })
		if i == 0 {
			<-f.entered
		}
	}
	for len(s.queue) < n {
		time.Sleep(time.Millisecond)
	}
	close(f.release)
	wg.Wait()
	return recs, errs
}

func TestStore_Append_CommitFailureFailsEveryWaiter(t *testing.T) {
	f := &failingCommits{entered: make(chan struct{}), release: make(chan struct{})}
	f.fail.Store(true)
	s := mustOpen(t, newTestDir(t), Options{Now: testClock(), beforeSync: f.hook})
	const n = 10
	recs, errs := appendBehindFirst(t, s, f, n)
	for i, err := range errs {
		if err == nil || recs[i].Seq != 0 {
			t.Errorf("append %d: got %v, Seq %d, want the commit error and Seq 0", i, err, recs[i].Seq)
		}
	}
	if got, want := fmt.Sprint(f.sizes), fmt.Sprintf("[1 %d]", n); got != want {
		t.Errorf("failed batch sizes: got %s, want %s", got, want)
	}
	if size, _ := s.Size(); size != 0 {
		t.Errorf("Size after failed commits: got %d, want 0", size)
	}
	if list, _ := s.List(Query{}); len(list) != 0 {
		t.Errorf("List after failed commits: got %d captures, want 0", len(list))
	}
	f.fail.Store(false)
	if seq := mustAppend(t, s, request("example.com", "/"), nil); seq != 1 {
		t.Errorf("Seq after failed commits: got %d, want 1", seq)
	}
	if st := s.Stats(); st.Failed != n+1 || st.Appends != 1 {
		t.Errorf("Stats: got %+v, want %d failed, 1 append", st, n+1)
	}
}

func TestStore_Append_WALClosedUnderneath(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{Now: testClock()})
	mustAppend(t, s, request("example.com", "/1"), nil)
	s.wal.cur.f.Close() // the commit loop is idle: nothing races this
	if _, err := s.Append(context.Background(), request("example.com", "/lost"), nil); err == nil {
		t.Fatal("Append on a closed WAL segment: got nil error, want one")
	}
	// The failed segment is abandoned; the next group starts a new one.
	if seq := mustAppend(t, s, request("example.com", "/2"), nil); seq != 2 {
		t.Errorf("Seq after a failed group: got %d, want 2", seq)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{})
	for seq, want := range map[uint64]string{1: "/1", 2: "/2"} {
		r, err := s.Record(seq)
		if err != nil || !strings.HasSuffix(r.Head.URL, want) {
			t.Errorf("record %d after reopen: got %+v, %v, want URL ending %s", seq, r, err, want)
		}
	}
	if size, _ := s.Size(); size != 4 { // and a mark apiece: interrupted
		t.Errorf("Size after reopen: got %d, want 4", size)
	}
}

func TestStore_Append_RefusesInvalidRecords(t *testing.T) {
	s := newTestStore(t)
	open := mustAppend(t, s, request("example.com", "/"), nil)
	tunnel := mustAppend(t, s, &Record{Kind: KindTunnel, Host: "t.example"}, nil)
	mustAppend(t, s, response(open), nil)
	cases := map[string]*Record{
		"unknown kind":          {Kind: "bogus"},
		"opening with capture":  {Kind: KindRequest, Capture: 1},
		"response, no capture":  {Kind: KindResponse},
		"response to future":    response(99),
		"response to tunnel":    response(tunnel),
		"second response":       response(open),
		"time out of range":     {Kind: KindDenied, Time: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"malformed body sha":    {Kind: KindRequest, Body: BodyRef{SHA256: "ABC", Size: 3}},
		"truncated, no stored":  {Kind: KindRequest, Body: BodyRef{SHA256: sum("x"), Size: 1, Truncated: true}},
		"stored, not truncated": {Kind: KindRequest, Body: BodyRef{SHA256: sum("x"), Size: 1, StoredSHA256: sum("x")}},
		"unknown size, known":   {Kind: KindRequest, Body: BodyRef{Size: 5}},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Append(context.Background(), r, nil); !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
	if n, _ := s.Size(); n != 3 {
		t.Errorf("Size: got %d, want 3: refused records must not be written", n)
	}
}

func TestStore_Append_CanceledContext(t *testing.T) {
	s := newTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Append(ctx, request("example.com", "/"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if n, _ := s.Size(); n != 0 {
		t.Errorf("Size: got %d, want 0", n)
	}
}
