package proxy

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"testing"
	"time"
)

// BenchmarkProxy_NewConnectionPOST is a 512-byte POST on a new client
// connection each time (CONNECT, TLS, the request), with the lookup of the
// sending process (the default) and without: what the lookup adds to a
// connection's first exchange, which waits for it at most SenderWait.
func BenchmarkProxy_NewConnectionPOST(b *testing.B) {
	for _, bc := range []struct {
		name string
		wait time.Duration
	}{{"sent_by", 0}, {"no_lookup", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			var up *upstream
			up = newUpstream(b, false, func(w http.ResponseWriter, r *http.Request) {
				up.mu.Lock()
				up.received = up.received[:0]
				up.mu.Unlock()
				w.Write([]byte(`{"ok":true}`))
			})
			tp := newTestProxy(b, up, func(o *Options) { o.SenderWait = bc.wait })
			c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(tp.URL),
				TLSClientConfig: &tls.Config{RootCAs: tp.pool()}, DisableKeepAlives: true}}
			body := bytes.Repeat([]byte("x"), 512)
			b.ReportAllocs()
			for b.Loop() {
				benchPost(b, c, body)
			}
		})
	}
}
