package admin

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/store"
)

// uiToken is the admin token of the review tests.
var uiToken = strings.Repeat("u", 64)

// exchange is one capture to append: a request and, with a status, its
// response.
type exchange struct {
	host, method, path string
	status             int
	at                 time.Time
	body               []byte
	ctype, enc         string
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// appendExchange appends x and returns its capture id.
func appendExchange(tb testing.TB, st *store.Store, x exchange) uint64 {
	tb.Helper()
	if x.method == "" {
		x.method = "POST"
	}
	h := &store.Head{Method: x.method, URL: "https://" + x.host + x.path, Proto: "HTTP/1.1",
		Headers: []store.Header{{Name: "Host", Value: x.host}}}
	if x.ctype != "" {
		h.Headers = append(h.Headers, store.Header{Name: "Content-Type", Value: x.ctype})
	}
	if x.enc != "" {
		h.Headers = append(h.Headers, store.Header{Name: "Content-Encoding", Value: x.enc})
	}
	req := &store.Record{Kind: store.KindRequest, Time: x.at, Client: "127.0.0.1:50000", Host: x.host, Port: "443", Head: h}
	body := st.NewBody(0)
	body.Write(x.body)
	defer body.Close()
	seq, err := st.Append(context.Background(), req, body)
	if err != nil {
		tb.Fatal(err)
	}
	if x.status == 0 {
		return seq
	}
	resp := &store.Record{Kind: store.KindResponse, Capture: seq, Time: x.at.Add(time.Millisecond),
		Head: &store.Head{Status: x.status, Proto: "HTTP/1.1", Headers: []store.Header{{Name: "Content-Type", Value: "application/json"}}}}
	rb := st.NewBody(0)
	rb.Write([]byte(`{"ok":true}`))
	defer rb.Close()
	if _, err := st.Append(context.Background(), resp, rb); err != nil {
		tb.Fatal(err)
	}
	return seq
}

// fillExchanges appends n exchanges made by gen from 32 goroutines, so
// that the store commits them in large batches.
func fillExchanges(tb testing.TB, st *store.Store, n int, gen func(i int) exchange) {
	tb.Helper()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 32 {
		wg.Go(func() {
			for i := range next {
				appendExchange(tb, st, gen(i))
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func openTestStore(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(tb.TempDir(), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// newReviewAPI serves a Handler over st; it is closed before the server,
// so that event streams end.
func newReviewAPI(tb testing.TB, opts Options) (*httptest.Server, *Handler) {
	tb.Helper()
	if opts.Token == "" {
		opts.Token = uiToken
	}
	h := NewHandler(opts)
	srv := httptest.NewServer(h)
	tb.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return srv, h
}

// call makes one request with the admin token and decodes a JSON answer
// into out (if not nil); it returns the response, its body read.
func call(tb testing.TB, method, url string, body any, out any, hdr ...string) *http.Response {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+uiToken)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s %s: %v\n%s", method, url, err, b)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

func ids(items []Item) string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return strings.Join(out, ",")
}

var t0 = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

// day returns the i-th day after t0, at noon.
func day(i int) time.Time { return t0.Add(time.Duration(i)*24*time.Hour + 12*time.Hour) }

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// uiAnalyst is an Analyst with fixed answers for the review tests.
type uiAnalyst struct {
	drift   []analysis.DriftEvent
	counted map[string]int // Compare(prev, to): non-volatile changes of to
	points  []analysis.Point

	mu       sync.Mutex
	compares int
}

func (a *uiAnalyst) Compare(from, to string, o analysis.CompareOptions) (*analysis.Comparison, error) {
	a.mu.Lock()
	a.compares++
	a.mu.Unlock()
	n, ok := a.counted[to]
	if !ok {
		return nil, fmt.Errorf("capture %s: %w", to, analysis.ErrNotExchange)
	}
	return &analysis.Comparison{From: from, To: to, Counted: n}, nil
}

func (a *uiAnalyst) Decoded(id string) (*analysis.Decoded, error) {
	return &analysis.Decoded{ID: id}, nil
}

func (a *uiAnalyst) Drift(analysis.Query) ([]analysis.DriftEvent, error) { return a.drift, nil }

func (a *uiAnalyst) Figures(analysis.Query) ([]analysis.Point, error) { return a.points, nil }

func (a *uiAnalyst) Endpoints() ([]analysis.EndpointInfo, error) { return nil, nil }

func (a *uiAnalyst) Licensing(from, to string, o analysis.CompareOptions) (*analysis.LicenseDiff, error) {
	c, err := a.Compare(from, to, o)
	if err != nil {
		return nil, err
	}
	return &analysis.LicenseDiff{Comparison: c}, nil
}

func (a *uiAnalyst) Identities() ([]analysis.Identity, error) { return nil, nil }
