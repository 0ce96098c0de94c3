package proxy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"testing"
)

// pattern is n pseudo-random bytes, the same for the same seed.
func pattern(seed byte, n int) []byte {
	b := make([]byte, n)
	mrand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// sentLog records the SHA-256 of each response body an upstream wrote,
// as it wrote it: the reference the proxy's output is held to.
type sentLog struct {
	mu   sync.Mutex
	sums []string
}

func (l *sentLog) add(sum string) {
	l.mu.Lock()
	l.sums = append(l.sums, sum)
	l.mu.Unlock()
}

func (l *sentLog) last(t *testing.T) string {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.sums) == 0 {
		t.Fatal("the upstream sent no response")
	}
	return l.sums[len(l.sums)-1]
}

// TestProxy_LargeBodies_HashedAgainstUpstream: bodies of a few MiB, each
// way, reach their peer byte for byte and are stored as such. Every
// hash is held to what the other end actually sent (the client's request,
// the upstream's response), not to another output of the proxy, so a
// byte changed in passing (at 1 MiB, say, where buffers turn over) fails
// even when the client and the store agree on it.
func TestProxy_LargeBodies_HashedAgainstUpstream(t *testing.T) {
	const size = 3<<20 + 17 // past several 32 KiB copy buffers and 1 MiB
	for _, tc := range []struct {
		name    string
		http2   bool
		chunked bool // no Content-Length either way
	}{
		{"HTTP/1.1 with Content-Length", false, false},
		{"HTTP/1.1 chunked", false, true},
		{"HTTP/2 upstream", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent := &sentLog{}
			up := newUpstream(t, tc.http2, func(w http.ResponseWriter, r *http.Request) {
				body := pattern(2, size)
				w.Header().Set("Content-Type", "application/octet-stream")
				if !tc.chunked {
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				}
				h := sha256.New()
				// In pieces, flushed, so that a chunked response is many chunks.
				for off := 0; off < len(body); off += 100_000 {
					piece := body[off:min(off+100_000, len(body))]
					n, _ := w.Write(piece)
					h.Write(piece[:n])
					w.(http.Flusher).Flush()
				}
				sent.add(hex.EncodeToString(h.Sum(nil)))
			})
			tp := newTestProxy(t, up, nil)
			req := pattern(1, size)
			var src io.Reader = bytes.NewReader(req)
			if tc.chunked {
				src = io.MultiReader(src) // hides the length: sent chunked
			}
			resp, err := tp.client().Post("https://las.cloud.com/big", "application/octet-stream", src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			upSent := sent.last(t)
			if sum(got) != upSent || len(got) != size {
				t.Errorf("client got %d bytes, SHA-256 %s; want the upstream's %d bytes, %s (first difference at %d)",
					len(got), sum(got), size, upSent, firstDiff(got, pattern(2, size)))
			}

			rs := up.got()
			if len(rs) != 1 {
				t.Fatalf("upstream got %d requests, want 1", len(rs))
			}
			if sum(rs[0].Body) != sum(req) {
				t.Errorf("upstream received %d bytes, SHA-256 %s; want the client's %d bytes, %s (first difference at %d)",
					len(rs[0].Body), sum(rs[0].Body), size, sum(req), firstDiff(rs[0].Body, req))
			}
			c := tp.lastCapture(t)
			if c.Request.BodySHA256 != sum(req) || c.Request.BodySize != size {
				t.Errorf("request body: recorded %s (%d bytes), want %s (%d bytes)", c.Request.BodySHA256, c.Request.BodySize, sum(req), size)
			}
			if c.Response.BodySHA256 != upSent || c.Response.BodySize != size {
				t.Errorf("response body: recorded %s (%d bytes), want the upstream's %s (%d bytes)", c.Response.BodySHA256, c.Response.BodySize, upSent, size)
			}
			if s := sum(tp.storedBody(t, c.Request)); s != sum(req) {
				t.Errorf("stored request body: SHA-256 %s, want %s", s, sum(req))
			}
			if s := sum(tp.storedBody(t, c.Response)); s != upSent {
				t.Errorf("stored response body: SHA-256 %s, want the upstream's %s", s, upSent)
			}
			if c.Error != "" {
				t.Errorf("capture error: %s", c.Error)
			}
		})
	}
}

// firstDiff is the offset of the first byte where a and b differ, or -1.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
