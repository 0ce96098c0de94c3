package proxy

import (
	"bytes"
	"net/http"
	"testing"
)

// BenchmarkProxy_SmallPOST is the telemetry shape through the whole proxy:
// a 512-byte JSON POST over one keep-alive connection, write-ahead
// captured, one request at a time.
func BenchmarkProxy_SmallPOST(b *testing.B) {
	c, tp := benchProxy(b)
	body := bytes.Repeat([]byte("x"), 512)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchPost(b, c, body)
	}
	reportCommits(b, tp)
}

// BenchmarkProxy_SmallPOST_Parallel is the same with 8 clients per CPU.
func BenchmarkProxy_SmallPOST_Parallel(b *testing.B) {
	c, tp := benchProxy(b)
	body := bytes.Repeat([]byte("x"), 512)
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchPost(b, c, body)
		}
	})
	reportCommits(b, tp)
}

func benchProxy(b *testing.B) (*http.Client, *testProxy) {
	up := newUpstream(b, false, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"ok":true}`)) })
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
