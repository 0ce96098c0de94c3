package estate_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telltale/telltale/archive"
	"github.com/telltale/telltale/estate"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/internal/versitygw"
	"github.com/telltale/telltale/store"
)

var captures = flag.Int("captures", 5000, "captures in the benchmark's log")

// BenchmarkEstate_PushAndVerify measures, against versitygw on loopback,
// the archiver's first push of a log of captures (each a request and a
// response with distinct bodies), a full verification of it, and an
// incremental one after a 1% growth. docs/bench/estate.md has the numbers.
//
//	go test ./estate -run '^$' -bench PushAndVerify -benchtime 1x -captures 20000
func BenchmarkEstate_PushAndVerify(b *testing.B) {
	srv := versitygw.Start(b)
	srv.Bucket(b, "estate", true)
	bk := bucket(b, srv)
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		s := newSite(b, "telltale/bench")
		s.capture(b, *captures)
		b.StartTimer()

		start := time.Now()
		a := archive.New(s.st, bk, archive.Options{Prefix: "p", Retention: 48 * time.Hour, Mode: archive.Compliance})
		n, err := a.Step(ctx)
		if err != nil {
			b.Fatal(err)
		}
		push := time.Since(start)
		records := float64(2 * *captures)
		b.ReportMetric(records/push.Seconds(), "records/s-push")
		b.ReportMetric(float64(n)/push.Seconds(), "objects/s-push")

		log := estate.Log{Key: s.vkey}
		start = time.Now()
		r, err := estate.Verify(ctx, bk, "p", log, estate.VerifyOptions{})
		if err != nil || !r.OK() {
			b.Fatalf("verify: %+v %v", r, err)
		}
		full := time.Since(start)
		b.ReportMetric(records/full.Seconds(), "records/s-verify")

		s.capture(b, *captures/100)
		if _, err := a.Step(ctx); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		r, err = estate.Verify(ctx, bk, "p", log, estate.VerifyOptions{From: &estate.Trusted{Size: r.Size, Root: r.Root}})
		if err != nil || !r.OK() {
			b.Fatalf("incremental verify: %+v %v", r, err)
		}
		b.ReportMetric(time.Since(start).Seconds()*1000, "ms-verify-1%-growth")
		b.ReportMetric(full.Seconds()*1000, "ms-verify-full")
		b.ReportMetric(push.Seconds()*1000, "ms-push")
	}
}

var (
	logs       = flag.Int("logs", 2, "logs in BenchmarkEstate_Estate")
	skipBodies = flag.Bool("skip-bodies", false, "BenchmarkEstate_Estate also times a review that lists the bodies")
)

// BenchmarkEstate_Estate measures an estate: -logs logs of -captures
// captures each, generated through the store API (requests appended from
// many goroutines, so that they share commits), pushed at once by one
// archiver per log, then one review of all of them, one that lists the
// bodies instead of reading them (with -skip-bodies), and one after each log grew by 1%, from
// the trees the first verified. docs/bench/estate.md has the numbers.
//
//	go test ./estate -run '^$' -bench Estate_Estate -benchtime 1x -logs 10 -captures 10000
func BenchmarkEstate_Estate(b *testing.B) {
	srv := versitygw.Start(b)
	srv.Bucket(b, "estate", true)
	bk := bucket(b, srv)
	for range b.N {
		b.StopTimer()
		start := time.Now()
		sites := make([]*site, *logs)
		e := &estate.Estate{Source: bk, Prefix: "p"}
		for i := range sites {
			sites[i] = newSite(b, fmt.Sprintf("telltale/bench-%02d", i))
			sites[i].captureParallel(b, *captures)
			e.Logs = append(e.Logs, estate.Log{Name: fmt.Sprint(i), Key: sites[i].vkey})
		}
		records := float64(2 * *captures * *logs)
		b.ReportMetric(time.Since(start).Seconds(), "s-generate")
		b.StartTimer()

		start = time.Now()
		pushAll(b, bk, sites)
		push := time.Since(start)
		b.ReportMetric(push.Seconds(), "s-push")
		b.ReportMetric(records/push.Seconds(), "records/s-push")

		start = time.Now()
		rep := review(b, e)
		full := time.Since(start)
		b.ReportMetric(full.Seconds(), "s-verify-full")
		b.ReportMetric(records/full.Seconds(), "records/s-verify")

		if *skipBodies {
			e.Verify.SkipBodies = true
			start = time.Now()
			review(b, e)
			b.ReportMetric(time.Since(start).Seconds(), "s-verify-skip-bodies")
			e.Verify.SkipBodies = false
		}

		b.StopTimer()
		for _, s := range sites {
			s.captureParallel(b, *captures/100)
		}
		pushAll(b, bk, sites)
		b.StartTimer()
		e.Since = rep.Trusted()
		start = time.Now()
		review(b, e)
		b.ReportMetric(time.Since(start).Seconds()*1000, "ms-verify-1%-growth")
	}
}

// pushAll pushes every site's log at once, as license servers would.
func pushAll(b *testing.B, bk *archive.Bucket, sites []*site) {
	b.Helper()
	errs := make(chan error, len(sites))
	for _, s := range sites {
		go func() {
			_, err := archive.New(s.st, bk, archive.Options{Prefix: "p", Retention: 48 * time.Hour, Mode: archive.Compliance}).Step(context.Background())
			errs <- err
		}()
	}
	for range sites {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

func review(b *testing.B, e *estate.Estate) *estate.Report {
	b.Helper()
	rep, err := e.Review(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	if !rep.OK() {
		var out bytes.Buffer
		rep.Print(&out)
		b.Fatalf("the estate does not verify:\n%s", out.String())
	}
	return rep
}

// captureParallel is capture with 64 goroutines appending at once, so that
// their records share the store's commits: a log of 100,000 captures in
// seconds, not the minutes of one append after another.
func (s *site) captureParallel(t testing.TB, n int) {
	t.Helper()
	base := s.now
	var next atomic.Int64
	errs := make(chan error, 64)
	for range 64 {
		go func() {
			errs <- s.captureFrom(base, &next, n)
		}()
	}
	for range 64 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s.now = base.Add(time.Duration(n) * time.Second)
	if _, _, err := evidence.SignTree(s.st, s.signer, s.now); err != nil {
		t.Fatal(err)
	}
}

func (s *site) captureFrom(base time.Time, next *atomic.Int64, n int) error {
	ctx := context.Background()
	for {
		i := next.Add(1) - 1
		if i >= int64(n) {
			return nil
		}
		at := base.Add(time.Duration(i+1) * time.Second)
		req := &store.Record{Kind: store.KindRequest, Host: "las.cloud.com", Port: "443", Time: at,
			Head: &store.Head{Method: "POST", URL: "https://las.cloud.com/upload", Proto: "HTTP/1.1"}}
		seq, err := s.appendBody(ctx, req, fmt.Sprintf(`{"upload":%d,"site":%q,"pad":"%0100d"}`, i, s.vkey[:20], i))
		if err != nil {
			return err
		}
		resp := &store.Record{Kind: store.KindResponse, Capture: seq, Time: at, Head: &store.Head{Status: 200, Proto: "HTTP/1.1"}}
		if _, err := s.appendBody(ctx, resp, `{"ok":true}`); err != nil {
			return err
		}
	}
}

func (s *site) appendBody(ctx context.Context, r *store.Record, data string) (uint64, error) {
	body := s.st.NewBody(0)
	defer body.Close()
	body.Write([]byte(data))
	return s.st.Append(ctx, r, body)
}
