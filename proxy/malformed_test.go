package proxy

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/telltale/telltale/store"
)

// malformedHeads are requests that a parser refuses before anything is
// captured: a NUL in a header value, a space in a header name, a transfer
// coding other than chunked alone.
var malformedHeads = []struct {
	name, header, want string
}{
	{"NUL in a header value", "X-Token: a\x00b\r\n", "value"},
	{"space in a header name", "Bad Name: v\r\n", "header"},
	{"TE gzip, chunked", "Transfer-Encoding: gzip, chunked\r\n", "ransfer"},
}

// TestProxy_MalformedHeads_RecordedAsDenied: each malformed request,
// plain HTTP (refused by net/http itself) or inside intercepted TLS
// (refused by Telltale's parser), is answered with an error and recorded
// as a denied capture naming the client, the target and why; nothing
// reaches the upstream.
func TestProxy_MalformedHeads_RecordedAsDenied(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, nil)
	for _, tc := range malformedHeads {
		t.Run("plain/"+tc.name, func(t *testing.T) {
			send := "POST http://las.cloud.com/upload HTTP/1.1\r\nHost: las.cloud.com\r\n" + tc.header + "\r\n"
			if got := rawExchange(t, tp.URL.Host, send); got < 400 {
				t.Fatalf("got %d, want a 4xx or 5xx", got)
			}
			c := tp.lastCapture(t)
			if c.Kind != store.CaptureDenied || c.Host != "las.cloud.com" || c.URL != "http://las.cloud.com/upload" ||
				!strings.HasPrefix(c.Error, "malformed request") || !strings.HasPrefix(c.Client, "127.0.0.1:") {
				t.Errorf("capture: got %+v, want a denied POST http://las.cloud.com/upload", c)
			}
		})
		t.Run("tls/"+tc.name, func(t *testing.T) {
			conn := mitmConn(t, tp, "las.cloud.com")
			io.WriteString(conn, "POST /upload HTTP/1.1\r\nHost: las.cloud.com\r\n"+tc.header+"\r\n")
			r, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil || r.StatusCode != http.StatusBadRequest {
				t.Fatalf("got %v %v, want 400", r, err)
			}
			c := tp.lastCapture(t)
			if c.Kind != store.CaptureDenied || c.URL != "https://las.cloud.com/upload" || !strings.Contains(c.Error, tc.want) ||
				c.Request == nil || len(c.Request.Headers) == 0 || c.Request.Headers[0].Name != "Host" {
				t.Errorf("capture: got %+v, want a denied https://las.cloud.com/upload with its Host field", c)
			}
		})
	}
	if n := len(up.got()); n != 0 {
		t.Errorf("upstream got %d requests, want 0", n)
	}
}
