package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/cputime"
)

// BenchmarkStore_Append is the commit path of one capture record at a
// time: spool, seal, encode, write-ahead (one flush each), index. Its
// allocs/op show a regression before its time does; cpu-µs/op is the
// process's CPU, flushes included.
func BenchmarkStore_Append(b *testing.B) {
	s := newTestStore(b)
	data := []byte(`{"small":"json body"}`)
	b.ReportAllocs()
	cpu := cputime.Start()
	for b.Loop() {
		body := s.NewBody(0)
		body.Write(data)
		if _, err := s.Append(context.Background(), request("example.com", "/"), body); err != nil {
			b.Fatal(err)
		}
		body.Close()
	}
	cpu.Report(b, b.N)
}

// BenchmarkStore_Append_Parallel is the commit path under 64 appenders:
// records share flushes, so cpu-µs/op is mostly what each record costs.
func BenchmarkStore_Append_Parallel(b *testing.B) {
	s := newTestStore(b)
	data := []byte(`{"small":"json body"}`)
	b.SetParallelism(32) // 64 appenders on 2 CPUs, as under a busy proxy
	b.ReportAllocs()
	cpu := cputime.Start()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := s.NewBody(0)
			body.Write(data)
			if _, err := s.Append(context.Background(), request("example.com", "/"), body); err != nil {
				b.Error(err)
				return
			}
			body.Close()
		}
	})
	cpu.Report(b, b.N)
	st := s.Stats()
	b.ReportMetric(float64(st.Appends)/float64(max(st.Batches, 1)), "appends/batch")
}

// fillExchanges writes n exchanges (a request and its response each) over
// 1000 hosts, committing 1000 records a transaction straight through
// commit, to build a large store quickly.
func fillExchanges(tb testing.TB, s *Store, n int) {
	tb.Helper()
	var batch []*pending
	flush := func() {
		s.commit(batch)
		for _, p := range batch {
			if err := <-p.done; err != nil {
				tb.Fatal(err)
			}
		}
		batch = batch[:0]
	}
	base, _ := s.Size()
	for i := range n {
		r := request(fmt.Sprintf("h%d.example", i%1000), fmt.Sprint("/", i))
		r.Time = s.opts.Now()
		resp := response(base + uint64(2*i+1))
		resp.Time = r.Time
		batch = append(batch, &pending{rec: r, done: make(chan error, 1)},
			&pending{rec: resp, done: make(chan error, 1)})
		if len(batch) >= 1000 {
			flush()
		}
	}
	flush()
}

func BenchmarkStore_List_100k(b *testing.B) {
	s := newTestStore(b)
	fillExchanges(b, s, 100_000)
	last, _ := s.Record(199_999) // the last request
	for _, bc := range []struct {
		name string
		q    Query
	}{
		{"last100", Query{Limit: 100}},
		{"host_last100", Query{Host: "h7.example", Limit: 100}},
		{"since_100ms", Query{Since: last.Time.Add(-99 * time.Millisecond)}}, // 1ms apart
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if l, err := s.List(bc.q); err != nil || len(l) != 100 {
					b.Fatalf("List: got %d, %v, want 100", len(l), err)
				}
			}
		})
	}
}

func BenchmarkLeafData(b *testing.B) {
	r := response(1)
	r.Seq, r.Body = 2, BodyRef{SHA256: sum("b"), Size: 1}
	for b.Loop() {
		if _, err := LeafData(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLeafData_V2 is LeafData of a record with salts: a commitment
// per head field.
func BenchmarkLeafData_V2(b *testing.B) {
	r := response(1)
	r.Seq, r.Body = 2, BodyRef{SHA256: sum("b"), Size: 1}
	var err error
	if r.Salts, err = newSalts(r); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := LeafData(r); err != nil {
			b.Fatal(err)
		}
	}
}
