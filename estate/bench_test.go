package estate_test

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/telltale/telltale/archive"
	"github.com/telltale/telltale/estate"
	"github.com/telltale/telltale/internal/versitygw"
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
