package proxy

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/telltale/telltale/internal/cputime"
)

// The proxy benchmarks run the client, the proxy and the upstream in one
// process: cpu-µs/op counts all three (TLS on both legs of the proxy and
// the client's and upstream's ends), so it moves with the proxy's cost
// but is not the proxy's alone; telltale-bench measures the proxy process
// by itself. allocs/op and B/op show a regression before req/s does.

// BenchmarkProxy_SmallPOST is the telemetry shape through the whole proxy:
// a 512-byte JSON POST over one keep-alive connection, write-ahead
// captured, one request at a time.
func BenchmarkProxy_SmallPOST(b *testing.B) {
	c, tp := benchProxy(b)
	body := bytes.Repeat([]byte("x"), 512)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Start()
	for i := 0; i < b.N; i++ {
		benchPost(b, c, body)
	}
	cpu.Report(b, b.N)
	reportCommits(b, tp)
}

// BenchmarkProxy_Upload1MiB is a 1 MiB POST through the whole proxy: the
// body spooled to a blob, hashed, write-ahead captured and forwarded.
func BenchmarkProxy_Upload1MiB(b *testing.B) {
	c, tp := benchProxy(b)
	body := bytes.Repeat([]byte(`{"CountUsedMax":42,"id":"CAG_AAC_CCU"}`), (1<<20)/38+1)[:1<<20]
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Start()
	for i := 0; i < b.N; i++ {
		benchPost(b, c, body)
	}
	cpu.ReportPer(b, float64(b.N), "cpu-ms/MiB")
	reportCommits(b, tp)
}

// BenchmarkProxy_SmallPOST_Parallel is the same with 8 clients per CPU.
func BenchmarkProxy_SmallPOST_Parallel(b *testing.B) {
	c, tp := benchProxy(b)
	body := bytes.Repeat([]byte("x"), 512)
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Start()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchPost(b, c, body)
		}
	})
	cpu.Report(b, b.N)
	reportCommits(b, tp)
}

func benchProxy(b *testing.B) (*http.Client, *testProxy) {
	var up *upstream
	up = newUpstream(b, false, func(w http.ResponseWriter, r *http.Request) {
		up.mu.Lock()
		up.received = up.received[:0] // a benchmark keeps no bodies
		up.mu.Unlock()
		w.Write([]byte(`{"ok":true}`))
	})
	tp := newTestProxy(b, up, nil)
	c := tp.client()
	c.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	return c, tp
}

func benchPost(b *testing.B, c *http.Client, body []byte) {
	resp, err := c.Post("https://las.cloud.com/upload", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	mustRead(resp.Body)
	resp.Body.Close()
}

func reportCommits(b *testing.B, tp *testProxy) {
	b.StopTimer()
	st := tp.Store.Stats()
	b.ReportMetric(float64(st.Appends)/float64(max(st.Batches, 1)), "records/commit")
}
