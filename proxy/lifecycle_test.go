package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestProxy_Shutdown_InterruptsAndRecords(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		<-release // never finishes the body before the proxy gives up
	})
	defer close(release)
	tp := newTestProxy(t, up, nil)
	resp, err := tp.client().Get("https://las.cloud.com/slow")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	io.ReadFull(resp.Body, buf)

	ctx, cancel := contextWithTimeout(300 * time.Millisecond)
	defer cancel()
	err = tp.Shutdown(ctx)
	if err == nil || !strings.Contains(err.Error(), "cut") {
		t.Errorf("Shutdown: got %v, want an error saying in-flight exchanges were cut", err)
	}
	resp.Body.Close()
	c := tp.lastCapture(t)
	if !strings.Contains(c.Error, "interrupted") {
		t.Errorf("capture error: got %q, want it marked interrupted", c.Error)
	}
}

// zeros is an endless reader that costs no memory.
type zeros struct{ n, max int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n >= z.max {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > z.max-z.n {
		n = z.max - z.n
	}
	clear(p[:n])
	z.n += n
	return int(n), nil
}

func TestProxy_LargeUpload_FlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 256 MiB")
	}
	const size = 256 << 20
	var got atomic.Int64
	var upSum string
	up := newUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {})
	// Replace the recording handler: this one hashes and discards.
	up.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		got.Store(n)
		upSum = hex.EncodeToString(h.Sum(nil))
	})
	tp := newTestProxy(t, up, func(o *Options) { o.MaxBody = 4 << 20 })

	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	req, _ := http.NewRequest("PUT", "https://las.cloud.com/bundle", &zeros{max: size})
	req.ContentLength = size
	resp, err := tp.client().Do(req)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.Load() != size {
		t.Fatalf("upstream got %d bytes, want %d", got.Load(), size)
	}
	if growth := int64(peak.Load()) - int64(before.HeapInuse); growth > 48<<20 {
		t.Errorf("heap grew by %d MiB while passing %d MiB: bodies must stream", growth>>20, size>>20)
	}
	c := tp.lastCapture(t)
	if c.Request.BodySize != size || c.Request.BodySHA256 != upSum || !c.Request.Truncated {
		t.Errorf("capture: got size %d sha %s truncated %v, want %d %s true", c.Request.BodySize, c.Request.BodySHA256, c.Request.Truncated, size, upSum)
	}
}
