package store

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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

// BenchmarkStore_BytesPerCapture is the store's growth per repeated small
// capture, the telemetry shape: a 512-byte JSON POST with a client's
// headers and its 28-byte answer with TLS and timings, the same bodies
// each time. It reports the bytes bbolt uses per capture in each bucket
// (records, tree hashes, indexes, bodies) and the file's size per
// capture once its pages settle.
func BenchmarkStore_BytesPerCapture(b *testing.B) {
	dir := newTestDir(b)
	s := mustOpen(b, dir, Options{})
	reqBody := bytes.Repeat([]byte(`{"CountUsedMax":42,"id":"CAG_AAC_CCU"}`), 14)[:512]
	respBody := []byte(`{"ok":true,"received":"yes"}`)
	n := 0
	for b.Loop() {
		r := &Record{Kind: KindRequest, Client: "127.0.0.1:51234", Host: "localhost", Port: "44321",
			Head: &Head{Method: "POST", URL: "https://localhost:44321/api/upload", Proto: "HTTP/1.1", Headers: []Header{
				{"Host", "localhost:44321"}, {"User-Agent", "Go-http-client/1.1"}, {"Content-Length", "512"},
				{"Content-Type", "application/json"}, {"Accept-Encoding", "gzip"}}}}
		seq := mustAppend(b, s, r, reqBody)
		now := time.Now()
		resp := &Record{Kind: KindResponse, Capture: seq, Client: r.Client, Host: r.Host, Port: r.Port,
			Head: &Head{Status: 200, Proto: "HTTP/1.1", Headers: []Header{{"Content-Length", "28"},
				{"Content-Type", "application/json"}, {"Date", now.UTC().Format(http.TimeFormat)}}},
			TLS: &TLSInfo{ServerName: "localhost", Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ALPN: "http/1.1",
				LeafSHA256: strings.Repeat("ab", 32)},
			Timings: &Timings{Start: now, Committed: now.Add(300 * time.Microsecond), FirstByte: now.Add(time.Millisecond), End: now.Add(time.Millisecond)}}
		mustAppend(b, s, resp, respBody)
		n++
	}
	b.StopTimer()
	s.caughtUp()
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, m := range []struct {
			unit    string
			buckets [][]byte
		}{
			{"records-B/capture", [][]byte{bucketRecords}},
			{"hashes-B/capture", [][]byte{bucketHashes}},
			{"indexes-B/capture", [][]byte{bucketByTime, bucketByHost, bucketResponses}},
			{"bodies-B/capture", [][]byte{bucketBodies}},
		} {
			used := 0
			for _, name := range m.buckets {
				st := tx.Bucket(name).Stats()
				used += st.LeafInuse + st.BranchInuse
			}
			b.ReportMetric(float64(used)/float64(n), m.unit)
		}
		b.ReportMetric(float64(tx.Size())/float64(n), "file-B/capture")
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
