package proxy

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/telltale/telltale/internal/testtool"
	"github.com/telltale/telltale/store"
)

func echo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Upstream", "yes")
	w.Write(append([]byte("echo:"), mustRead(r.Body)...))
}

func mustRead(r io.Reader) []byte {
	b, _ := io.ReadAll(r)
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// checkExchange asserts byte equality of what the client sent, what the
// upstream received and what the store returns, for request and response.
func checkExchange(t *testing.T, tp *testProxy, up *upstream, sent, gotResp []byte) *store.Capture {
	t.Helper()
	rs := up.got()
	if len(rs) == 0 {
		t.Fatal("upstream received nothing")
	}
	last := rs[len(rs)-1]
	if !bytes.Equal(last.Body, sent) {
		t.Errorf("upstream body: got %d bytes, want %d (equal: false)", len(last.Body), len(sent))
	}
	c := tp.lastCapture(t)
	if c.Request.BodySHA256 != sum(sent) && len(sent) > 0 {
		t.Errorf("request body_sha256: got %s, want %s", c.Request.BodySHA256, sum(sent))
	}
	if got := tp.storedBody(t, c.Request); !bytes.Equal(got, sent) {
		t.Errorf("stored request body: got %d bytes, want %d", len(got), len(sent))
	}
	if got := tp.storedBody(t, c.Response); !bytes.Equal(got, gotResp) {
		t.Errorf("stored response body: got %q, want %q", trim(got), trim(gotResp))
	}
	if c.Error != "" {
		t.Errorf("capture error: %s", c.Error)
	}
	return c
}

func trim(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}

func TestProxy_SmallJSON(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, nil)
	sent := []byte(`{"clientId":"abc","clientSecret":"s3cret"}`)
	req, _ := http.NewRequest("POST", "https://trust.citrixworkspacesapi.net/root/tokens/clients?x=1&y=%2F", bytes.NewReader(sent))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "CWSAuth bearer=tok")
	resp, err := tp.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := mustRead(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Upstream") != "yes" {
		t.Fatalf("got %d %v, want 200 from upstream", resp.StatusCode, resp.Header)
	}
	c := checkExchange(t, tp, up, sent, body)
	r := up.got()[0]
	if r.URI != "/root/tokens/clients?x=1&y=%2F" {
		t.Errorf("upstream URI: got %q, want the client's", r.URI)
	}
	if r.Header.Get("Authorization") != "CWSAuth bearer=tok" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("upstream headers: got %v", r.Header)
	}
	if ua := r.Header.Values("User-Agent"); len(ua) != 1 || !strings.HasPrefix(ua[0], "Go-http-client") {
		// The Go client sent its own User-Agent; the proxy must pass exactly that one.
		t.Errorf("upstream User-Agent: got %q", ua)
	}
	if c.Kind != "exchange" || c.Method != "POST" || c.Status != 200 || c.Host != "trust.citrixworkspacesapi.net" {
		t.Errorf("capture: got %+v", c)
	}
	if c.URL != "https://trust.citrixworkspacesapi.net/root/tokens/clients?x=1&y=%2F" {
		t.Errorf("capture URL: got %q", c.URL)
	}
	if c.TLS == nil || c.TLS.LeafSHA256 != sum(up.Certificate().Raw) {
		t.Errorf("TLS facts: got %+v, want the upstream leaf hash", c.TLS)
	}
	if c.RequestBytes != int64(len(sent)) || c.ResponseBytes != int64(len(body)) {
		t.Errorf("sizes: got %d/%d, want %d/%d", c.RequestBytes, c.ResponseBytes, len(sent), len(body))
	}
}

func TestProxy_Gzip_KeepsAcceptEncodingAndBytes(t *testing.T) {
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(bytes.Repeat([]byte(`{"CountUsedMax":12}`), 200))
	zw.Close()
	up := newUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(zipped.Bytes())
	})
	tp := newTestProxy(t, up, nil)
	req, _ := http.NewRequest("POST", "https://cis.citrix.com/upload", bytes.NewReader(zipped.Bytes()))
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := tp.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := mustRead(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(body, zipped.Bytes()) {
		t.Errorf("client got %d bytes, want the upstream's %d gzip bytes unchanged", len(body), zipped.Len())
	}
	if got := up.got()[0].Header.Get("Accept-Encoding"); got != "gzip" {
		t.Errorf("upstream Accept-Encoding: got %q, want gzip", got)
	}
	checkExchange(t, tp, up, zipped.Bytes(), body)
}

func TestProxy_ChunkedUpload(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, nil)
	sent := make([]byte, 300_000)
	rand.Read(sent)
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < len(sent); i += 7000 {
			pw.Write(sent[i:min(i+7000, len(sent))])
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("PUT", "https://las.cloud.com/upload", pr) // unknown length: chunked
	resp, err := tp.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := mustRead(resp.Body)
	resp.Body.Close()
	checkExchange(t, tp, up, sent, body)
	if got := up.got()[0]; got.Header.Get("Content-Length") != "" {
		t.Errorf("upstream got Content-Length %q, want a chunked body as the client sent", got.Header.Get("Content-Length"))
	}
}

func TestProxy_TenMiB(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, nil)
	sent := make([]byte, 10<<20)
	rand.Read(sent)
	resp, err := tp.client().Post("https://las.cloud.com/big", "application/octet-stream", bytes.NewReader(sent))
	if err != nil {
		t.Fatal(err)
	}
	body := mustRead(resp.Body)
	resp.Body.Close()
	if len(body) != len(sent)+5 {
		t.Fatalf("response: got %d bytes, want %d", len(body), len(sent)+5)
	}
	checkExchange(t, tp, up, sent, body)
}

func TestProxy_Head_304_204_Framing(t *testing.T) {
	up := newUpstream(t, false, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/etag":
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.Header().Set("ETag", `"v1"`)
				w.WriteHeader(http.StatusNotModified)
				return
			}
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Length", "11")
		w.Header().Set("ETag", `"v1"`)
		io.WriteString(w, "hello world")
	})
	tp := newTestProxy(t, up, nil)
	c := tp.client()

	resp, err := c.Head("https://las.cloud.com/file")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ContentLength != 11 {
		t.Errorf("HEAD Content-Length: got %d, want 11", resp.ContentLength)
	}

	req, _ := http.NewRequest("GET", "https://las.cloud.com/etag", nil)
	req.Header.Set("If-None-Match", `"v1"`)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 304 || resp.Header.Get("ETag") != `"v1"` {
		t.Errorf("conditional GET: got %d %v, want 304 with ETag", resp.StatusCode, resp.Header)
	}
	if cap := tp.lastCapture(t); cap.Status != 304 || cap.Error != "" {
		t.Errorf("capture: got status %d error %q, want 304 and no error", cap.Status, cap.Error)
	}

	resp, err = c.Get("https://las.cloud.com/empty")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Errorf("got %d, want 204", resp.StatusCode)
	}
	if cap := tp.lastCapture(t); cap.Status != 204 || cap.Error != "" {
		t.Errorf("capture: got status %d error %q, want 204 and no error", cap.Status, cap.Error)
	}
	// The connection must still be usable after three bodiless responses.
	resp, err = c.Get("https://las.cloud.com/file")
	if err != nil {
		t.Fatal(err)
	}
	if b := mustRead(resp.Body); string(b) != "hello world" {
		t.Errorf("GET after bodiless responses: got %q", b)
	}
	resp.Body.Close()
}

func TestProxy_HTTP2Upstream(t *testing.T) {
	up := newUpstream(t, true, echo)
	tp := newTestProxy(t, up, nil)
	sent := []byte(`{"ver":"1.0"}`)
	resp, err := tp.client().Post("https://las.cloud.com/ccid/netscalerfixedbw/customerentitlements", "application/json", bytes.NewReader(sent))
	if err != nil {
		t.Fatal(err)
	}
	body := mustRead(resp.Body)
	resp.Body.Close()
	c := checkExchange(t, tp, up, sent, body)
	if up.got()[0].Proto != "HTTP/2.0" || c.TLS.ALPN != "h2" {
		t.Errorf("upstream proto %q, ALPN %q: want HTTP/2.0 and h2", up.got()[0].Proto, c.TLS.ALPN)
	}
}

func TestProxy_ExpectContinue(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, nil)
	sent := bytes.Repeat([]byte("x"), 5000)
	req, _ := http.NewRequest("POST", "https://las.cloud.com/expect", bytes.NewReader(sent))
	req.Header.Set("Expect", "100-continue")
	cl := tp.client()
	cl.Transport.(*http.Transport).ExpectContinueTimeout = 10e9 // wait for the 100 for real
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := mustRead(resp.Body)
	resp.Body.Close()
	checkExchange(t, tp, up, sent, body)
}

func TestProxy_Curl(t *testing.T) {
	testtool.Need(t, "curl")
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, nil)
	ca := tp.caFile(t)
	sent := `{"UTCDate":"2026-11-27T00:00:00Z","features":[{"id":"CAG_AAC_CCU","CountUsedMax":7}]}`
	for _, extra := range [][]string{nil, {"-H", "Expect: 100-continue"}, {"-H", "Transfer-Encoding: chunked"}} {
		args := append([]string{"-sS", "--fail-with-body", "--proxy", tp.URL.String(), "--cacert", ca,
			"-H", "content-type: application/json", "-H", "X-MiXeD-Case: yes", "--data-binary", sent,
			"https://cis.citrix.com/api/upload"}, extra...)
		out, err := exec.Command("curl", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", extra, err, out)
		}
		if string(out) != "echo:"+sent {
			t.Errorf("curl %v got %q", extra, out)
		}
		c := checkExchange(t, tp, up, []byte(sent), out)
		if !hasHeader(c.Request.Headers, "X-MiXeD-Case") || !hasHeader(c.Request.Headers, "content-type") {
			t.Errorf("capture must keep header names as sent, got %v", c.Request.Headers)
		}
	}
	if n := len(up.got()); n != 3 {
		t.Errorf("upstream got %d requests, want 3", n)
	}
}

func hasHeader(hs []store.Header, name string) bool {
	for _, h := range hs {
		if h.Name == name {
			return true
		}
	}
	return false
}

func TestProxy_KeepAliveReusesOneClientConnection(t *testing.T) {
	up := newUpstream(t, false, echo)
	tp := newTestProxy(t, up, nil)
	c := tp.client()
	for i := 0; i < 20; i++ {
		resp, err := c.Post("https://las.cloud.com/n", "text/plain", strings.NewReader(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(mustRead(resp.Body)); got != fmt.Sprintf("echo:%d", i) {
			t.Fatalf("request %d: got %q", i, got)
		}
		resp.Body.Close()
	}
	caps, err := tp.Store.List(store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != 20 {
		t.Fatalf("got %d captures, want 20", len(caps))
	}
	first := caps[0].Client
	for _, c := range caps {
		if c.Client != first {
			t.Errorf("client addr changed from %s to %s: keep-alive broken", first, c.Client)
		}
	}
}
