package proxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
)

func TestProxy_PlainHTTP_InterceptedHostCaptured(t *testing.T) {
	var gotBody []byte
	var gotURI string
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotBody, _ = io.ReadAll(r.Body)
		gotURI = r.RequestURI
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"plain":true}`)
	}))
	defer plain.Close()
	tp := newTestProxy(t, nil, func(o *Options) {
		o.Resolve = map[string]string{"las.cloud.com:80": plain.Listener.Addr().String()}
	})
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(tp.URL)}, Timeout: 10 * time.Second}
	sent := []byte(`{"ocsp":"request"}`)
	resp, err := c.Post("http://las.cloud.com/ocsp/check?a=1", "application/json", bytes.NewReader(sent))
	if err != nil {
		t.Fatal(err)
	}
	body := mustRead(resp.Body)
	resp.Body.Close()
	if string(body) != `{"plain":true}` || !bytes.Equal(gotBody, sent) || gotURI != "/ocsp/check?a=1" {
		t.Fatalf("client got %q; upstream got %q at %q", body, gotBody, gotURI)
	}
	c2 := tp.lastCapture(t)
	if c2.Kind != store.CaptureExchange || c2.URL != "http://las.cloud.com/ocsp/check?a=1" || c2.Status != 200 || c2.TLS != nil {
		t.Errorf("capture: got %+v", c2)
	}
	if got := tp.storedBody(t, c2.Request); !bytes.Equal(got, sent) {
		t.Errorf("stored request: got %q", got)
	}
	if got := tp.storedBody(t, c2.Response); string(got) != `{"plain":true}` {
		t.Errorf("stored response: got %q", got)
	}
}

func TestProxy_PlainHTTP_OtherHostPassedThroughAsTunnel(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "crl bytes")
	}))
	defer plain.Close()
	u, _ := url.Parse(plain.URL) // 127.0.0.1: not an intercepted name
	tp := newTestProxy(t, nil, func(o *Options) { o.AllowLocal = []string{u.Host} })
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(tp.URL)}, Timeout: 10 * time.Second}
	resp, err := c.Post(u.String()+"/crl", "text/plain", strings.NewReader("abc"))
	if err != nil {
		t.Fatal(err)
	}
	if b := mustRead(resp.Body); string(b) != "crl bytes" {
		t.Errorf("got %q", b)
	}
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		caps, _ := tp.Store.List(store.Query{})
		if len(caps) == 1 {
			if caps[0].Kind != store.CaptureTunnel || caps[0].RequestBytes != 3 || caps[0].ResponseBytes != 9 {
				t.Errorf("pass-through capture: got %+v", caps[0])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pass-through capture: %+v", caps)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
