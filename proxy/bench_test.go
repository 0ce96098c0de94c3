package proxy

import (
	"bytes"
	"net/http"
	"testing"
)

// BenchmarkProxy_SmallPOST is the telemetry shape through the whole proxy:
// a 512-byte JSON POST over keep-alive, write-ahead captured.
func BenchmarkProxy_SmallPOST(b *testing.B) {
	benchSmallPOST(b, 1)
}

func BenchmarkProxy_SmallPOST_Parallel(b *testing.B) {
	benchSmallPOST(b, 8)
}

func benchSmallPOST(b *testing.B, par int) {
	up := newUpstream(b, false, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"ok":true}`)) })
	tp := newTestProxy(b, up, nil)
	c := tp.client()
	c.Transport.(*http.Transport).MaxIdleConnsPerHost = par
	body := bytes.Repeat([]byte("x"), 512)
	b.SetParallelism(par)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Post("https://las.cloud.com/upload", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			mustRead(resp.Body)
			resp.Body.Close()
		}
	})
}
