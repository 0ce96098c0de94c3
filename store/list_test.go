package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fillHosts appends n opening records over hosts h0..h(hosts-1), from 16
// goroutines so that record times and Seqs do not quite agree, as in a
// real proxy. It returns the records by Seq.
func fillHosts(tb testing.TB, s *Store, n, hosts int) []*Record {
	tb.Helper()
	recs := make([]*Record, n)
	for i := range recs {
		host := fmt.Sprintf("H%d.example", rand.IntN(hosts))
		recs[i] = request(host, "/")
		if i%10 == 0 {
			recs[i] = &Record{Kind: KindTunnel, Host: host}
		}
	}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n; i += 16 {
				if _, err := s.Append(context.Background(), recs[i], nil); err != nil {
					tb.Errorf("Append: %v", err)
				}
			}
		})
	}
	wg.Wait()
	slices.SortFunc(recs, func(a, b *Record) int { return int(a.Seq) - int(b.Seq) })
	return recs
}

// wantList selects from recs as List documents, by brute force.
func wantList(recs []*Record, q Query) []string {
	var sel []*Record
	for _, r := range recs {
		if (q.Host == "" || strings.EqualFold(r.Host, q.Host)) &&
			(q.Since.IsZero() || !r.Time.Before(q.Since)) &&
			(q.Until.IsZero() || r.Time.Before(q.Until)) {
			sel = append(sel, r)
		}
	}
	slices.SortStableFunc(sel, func(a, b *Record) int { return a.Time.Compare(b.Time) })
	if q.Limit > 0 && len(sel) > q.Limit {
		sel = sel[len(sel)-q.Limit:]
	}
	ids := []string{}
	for _, r := range sel {
		ids = append(ids, fmt.Sprint(r.Seq))
	}
	return ids
}

func TestStore_List_Queries(t *testing.T) {
	s := newTestStore(t)
	recs := fillHosts(t, s, 10000, 300)
	t0 := recs[0].Time
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	queries := []Query{
		{},
		{Limit: 100},
		{Limit: 20000},
		{Host: "h7.example"},
		{Host: "H7.EXAMPLE", Limit: 5},
		{Host: "h7.example", Since: at(2000), Until: at(6000)},
		{Host: "h7.example", Since: at(2000), Until: at(6000), Limit: 3},
		{Host: "h299.example", Until: at(5000), Limit: 2},
		{Since: at(9990)},
		{Since: at(100), Until: at(150)},
		{Since: at(100), Until: at(150), Limit: 10},
		{Since: recs[500].Time, Until: recs[500].Time}, // empty range
		{Host: "h7"},
		{Host: "nowhere.example"},
		{Until: t0},
		{Since: at(20000)},
	}
	for _, q := range queries {
		got, err := s.List(q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		ids := []string{}
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		if want := wantList(recs, q); !slices.Equal(ids, want) {
			t.Errorf("List(%+v): got %d captures %.60v, want %d %.60v", q, len(ids), ids, len(want), want)
		}
	}
}

func TestStore_Capture_Assembly(t *testing.T) {
	s := newTestStore(t)
	open := request("Example.com", "/a")
	mustAppend(t, s, open, []byte("req"))
	resp := response(open.Seq)
	resp.Error = "upstream reset"
	mustAppend(t, s, resp, []byte("partial response"))
	inflight := request("example.com", "/b")
	mustAppend(t, s, inflight, nil)
	tunnel := &Record{Kind: KindTunnel, Host: "t.example", BytesUp: 10, BytesDown: 20, Duration: 1500 * time.Millisecond}
	mustAppend(t, s, tunnel, nil)
	denied := &Record{Kind: KindDenied, Host: "d.example", Error: "denied", Head: &Head{Method: "POST", URL: "https://d.example/x"}}
	mustAppend(t, s, denied, nil)

	c, err := s.Capture("1")
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, c, &Capture{
		ID: "1", Time: open.Time.Format(TimeFormat), Client: open.Client, Kind: CaptureExchange,
		Method: "GET", Host: "Example.com", URL: "https://Example.com/a", Status: 200,
		RequestBytes: 3, ResponseBytes: 16, Error: "upstream reset", Complete: true, Leaves: []uint64{0, 1},
		Request: message(open.Head, open.Body), Response: message(resp.Head, resp.Body),
		TLS: resp.TLS, Timings: resp.Timings,
	})
	list, err := s.List(Query{Host: "EXAMPLE.COM"})
	if err != nil || len(list) != 2 {
		t.Fatalf("List host: got %d, %v, want 2 captures", len(list), err)
	}
	if list[0].Request != nil || list[0].Response != nil || list[1].Complete || list[1].ID != "3" {
		t.Errorf("List: got %+v, want no messages, capture 3 incomplete", list)
	}
	checkTunnelAndDenied(t, s)
}

func checkTunnelAndDenied(t *testing.T, s *Store) {
	t.Helper()
	c, err := s.Capture("4")
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != CaptureTunnel || !c.Complete || c.RequestBytes != 10 || c.ResponseBytes != 20 || c.Duration != "1.5s" {
		t.Errorf("tunnel: got %+v, want complete tunnel 10/20 bytes, 1.5s", c)
	}
	c, err = s.Capture("5")
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != CaptureDenied || !c.Complete || c.Method != "POST" || c.Error != "denied" || c.Time[len(c.Time)-1] != 'Z' {
		t.Errorf("denied: got %+v, want complete denied POST", c)
	}
}

func TestStore_Capture_NotFound(t *testing.T) {
	s := newTestStore(t)
	seq := mustAppend(t, s, request("example.com", "/"), nil)
	mustAppend(t, s, response(seq), nil)
	for _, id := range []string{"", "0", "01", "+1", "-1", "1.0", "abc", "2", "3", "18446744073709551616"} {
		if _, err := s.Capture(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Capture(%q): got %v, want ErrNotFound", id, err)
		}
	}
	for _, key := range []string{"", "xyz", strings.Repeat("A", 64), sum("never stored")} {
		if _, _, err := s.OpenBody(key); !errors.Is(err, ErrNotFound) {
			t.Errorf("OpenBody(%q): got %v, want ErrNotFound", key, err)
		}
	}
}

// A limit from the user bounds what List returns, never what it
// allocates: one far beyond the log returns every capture.
func TestStore_List_HugeLimitReturnsWhatExists(t *testing.T) {
	s := newTestStore(t)
	recs := fillHosts(t, s, 30, 3)
	for _, q := range []Query{
		{Limit: 100_000_000_000},
		{Limit: math.MaxInt},
		{Host: "h1.example", Limit: math.MaxInt},
	} {
		got, err := s.List(q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		var ids []string
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		if want := wantList(recs, q); !slices.Equal(ids, want) {
			t.Errorf("List(%+v) = %v, want %v", q, ids, want)
		}
	}
}

// StoredHashRange's bounds come from the file (the log's size): a huge
// range is an error, not an allocation that kills the process.
func TestStore_StoredHashRange_RefusesAHugeRange(t *testing.T) {
	s := newTestStore(t)
	mustAppend(t, s, request("las.cloud.com", "/"), nil)
	if _, err := s.StoredHashRange(0, 1<<40); err == nil || !strings.Contains(err.Error(), "more than 1048576 at once") {
		t.Errorf("StoredHashRange(0, 2^40): got %v, want an error saying the range is too large", err)
	}
	if hs, err := s.StoredHashRange(0, 1<<20); err != nil || len(hs) != 1<<20 || hs[0] == nil || hs[1] != nil {
		t.Errorf("StoredHashRange(0, 2^20): got %d hashes, %v; want 2^20, the first stored", len(hs), err)
	}
}
