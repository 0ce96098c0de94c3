package admin

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/telltale/telltale/store"
)

func newTestAPI(t *testing.T) (*httptest.Server, *store.Store) {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(NewHandler(Options{Store: st, Token: strings.Repeat("t", 64)}))
	t.Cleanup(srv.Close)
	return srv, st
}

func TestHandler_RefusesWithoutToken(t *testing.T) {
	srv, _ := newTestAPI(t)
	for _, auth := range []string{"", "Bearer wrong", "Basic " + strings.Repeat("t", 64), "Bearer " + strings.Repeat("t", 63)} {
		for _, path := range []string{"/api/captures", "/api/captures/1", "/api/bodies/abc", "/nope"} {
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s with %q: got %d, want 401", path, auth, resp.StatusCode)
			}
		}
	}
}

func TestClient_RoundTrip(t *testing.T) {
	srv, st := newTestAPI(t)
	body := st.NewBody(0)
	body.Write([]byte("payload"))
	rec := &store.Record{Kind: store.KindRequest, Client: "127.0.0.1:1", Host: "las.cloud.com", Port: "443",
		Head: &store.Head{Method: "POST", URL: "https://las.cloud.com/x", Proto: "HTTP/1.1"}}
	if _, err := st.Append(context.Background(), rec, body); err != nil {
		t.Fatal(err)
	}
	c := &Client{Base: srv.URL, Token: strings.Repeat("t", 64)}
	caps, err := c.List(store.Query{Host: "las.cloud.com"})
	if err != nil || len(caps) != 1 || caps[0].Method != "POST" {
		t.Fatalf("List: got %+v %v", caps, err)
	}
	full, err := c.Capture(caps[0].ID)
	if err != nil || full.Request == nil {
		t.Fatalf("Capture: %+v %v", full, err)
	}
	rc, _, err := c.OpenBody(full.Request.BodySHA256)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "payload" {
		t.Errorf("OpenBody: got %q", b)
	}
	if _, err := c.Capture("424242"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown id: got %v, want not found", err)
	}
	wrong := &Client{Base: srv.URL, Token: "nope"}
	if _, err := wrong.List(store.Query{}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong token: got %v, want a 401 error", err)
	}
}

// A limit far beyond the log returns what exists (issue 11, item 2), from
// the API and through its client.
func TestList_HugeLimitReturnsWhatExists(t *testing.T) {
	srv, st := newTestAPI(t)
	for range 3 {
		rec := &store.Record{Kind: store.KindRequest, Client: "127.0.0.1:1", Host: "las.cloud.com", Port: "443",
			Head: &store.Head{Method: "GET", URL: "https://las.cloud.com/x", Proto: "HTTP/1.1"}}
		if _, err := st.Append(context.Background(), rec, nil); err != nil {
			t.Fatal(err)
		}
	}
	c := &Client{Base: srv.URL, Token: strings.Repeat("t", 64)}
	for _, limit := range []int{100_000_000_000, math.MaxInt} {
		caps, err := c.List(store.Query{Limit: limit})
		if err != nil || len(caps) != 3 {
			t.Errorf("List(limit %d): got %d captures, %v; want 3", limit, len(caps), err)
		}
	}
}
