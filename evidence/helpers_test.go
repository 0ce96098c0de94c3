package evidence

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// testKey is a log key for tests.
type testKey struct {
	signer note.Signer
	vkey   string
}

func newTestKey(tb testing.TB, name string) testKey {
	tb.Helper()
	return newKeyFrom(tb, name, rand.Reader)
}

// newSeededKey is the same key for the same seed, in every process: the
// fuzzer's workers must rebuild the very bundle the seeds came from.
func newSeededKey(tb testing.TB, name string, seed byte) testKey {
	return newKeyFrom(tb, name, mrand.NewChaCha8([32]byte{seed}))
}

func newKeyFrom(tb testing.TB, name string, r io.Reader) testKey {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(r, name)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return testKey{s, vkey}
}

// newPlusKey returns a key whose base64 holds a '+', which a careless
// split of "name+hash+key" on '+' gets wrong.
func newPlusKey(tb testing.TB, name string) testKey {
	for {
		k := newTestKey(tb, name)
		if strings.Contains(strings.SplitN(k.vkey, "+", 3)[2], "+") {
			return k
		}
	}
}

func (k testKey) verifier(tb testing.TB) note.Verifier {
	tb.Helper()
	v, err := ParseKey(k.vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// testClock starts at a fixed time and advances a millisecond per call.
func testClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

// storeOptions keep bodies over 1 KiB in blob files, so that tests cover
// both kinds of stored bytes cheaply.
func storeOptions() store.Options {
	return store.Options{Now: testClock(), InlineMax: 1 << 10, Seal: Redactor{}.Seal}
}

func mustOpen(tb testing.TB, dir string, opts store.Options) *store.Store {
	tb.Helper()
	st, err := store.Open(dir, opts)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// appendRecord appends r with a body holding data (none if nil).
func appendRecord(tb testing.TB, st *store.Store, r *store.Record, data []byte) uint64 {
	tb.Helper()
	var body *store.Body
	if data != nil {
		body = st.NewBody(0)
		defer body.Close()
		body.Write(data)
	}
	seq, err := st.Append(context.Background(), r, body)
	if err != nil {
		tb.Errorf("append: %v", err) // not Fatalf: fill calls it from many goroutines
	}
	return seq
}

func gz(tb testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func request(host, method, url string, headers ...string) *store.Record {
	h := &store.Head{Method: method, URL: url, Proto: "HTTP/1.1"}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Headers = append(h.Headers, store.Header{Name: headers[i], Value: headers[i+1]})
	}
	return &store.Record{Kind: store.KindRequest, Client: "127.0.0.1:50000", Host: host, Port: "443", Head: h}
}

func response(capture uint64, status int, headers ...string) *store.Record {
	h := &store.Head{Status: status, Proto: "HTTP/1.1"}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Headers = append(h.Headers, store.Header{Name: headers[i], Value: headers[i+1]})
	}
	start := time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC)
	return &store.Record{Kind: store.KindResponse, Capture: capture, Head: h,
		TLS: &store.TLSInfo{ServerName: "las.cloud.com", Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
			LeafSHA256: strings.Repeat("ab", 32)},
		Timings: &store.Timings{Start: start, Committed: start.Add(2 * time.Millisecond),
			FirstByte: start.Add(30 * time.Millisecond), End: start.Add(31 * time.Millisecond)}}
}

// exchange appends a request and its response and returns their Seqs.
func exchange(tb testing.TB, st *store.Store, i int) (uint64, uint64) {
	tb.Helper()
	host := []string{"las.cloud.com", "cis.citrix.com", "api.cloud.com"}[i%3]
	body := fmt.Sprintf(`{"ver":"1.0","n":%d,"licenses":[{"id":"CTX-%d","qty":%d}]}`, i, i%17, i%5)
	if i%50 == 7 {
		body += strings.Repeat(" ", 2048) // a blob file
	}
	req := appendRecord(tb, st, request(host, "POST", fmt.Sprintf("https://%s/api/v1/upload?n=%d", host, i),
		"Content-Type", "application/json", "X-Req", fmt.Sprint(i)), []byte(body))
	resp := response(req, 200, "Content-Type", "application/json")
	data := []byte(fmt.Sprintf(`{"ok":true,"n":%d}`, i))
	if i%10 == 3 {
		resp.Head.Headers = append(resp.Head.Headers, store.Header{Name: "Content-Encoding", Value: "gzip"})
		data = gz(tb, string(data))
	}
	return req, appendRecord(tb, st, resp, data)
}

// fill appends n exchanges from 16 goroutines (group commit keeps it fast),
// then a tunnel, a denied request and an exchange left without response.
func fill(tb testing.TB, st *store.Store, n int) {
	tb.Helper()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				exchange(tb, st, i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	appendRecord(tb, st, &store.Record{Kind: store.KindTunnel, Client: "127.0.0.1:50001", Host: "example.org", Port: "443",
		Head: &store.Head{Method: "CONNECT", URL: "example.org:443"}, BytesUp: 100, BytesDown: 2000, Duration: time.Second}, nil)
	appendRecord(tb, st, &store.Record{Kind: store.KindDenied, Client: "10.9.9.9:1", Host: "las.cloud.com", Port: "443",
		Error: "client not allowed", Head: &store.Head{Method: "CONNECT", URL: "las.cloud.com:443", Proto: "HTTP/1.1"}}, nil)
	appendRecord(tb, st, request("las.cloud.com", "GET", "https://las.cloud.com/pending"), nil)
	longBodies(tb, st)
}

// longBodies appends the two exchanges whose bodies pass the capture
// limit: a response stored truncated, and a request appended with only
// its prefix known (the proxy's path), completed by its response.
func longBodies(tb testing.TB, st *store.Store) {
	tb.Helper()
	req := appendRecord(tb, st, request("las.cloud.com", "GET", "https://las.cloud.com/big"), nil)
	b := st.NewBody(64)
	b.Write(bytes.Repeat([]byte("truncated response "), 20))
	if _, err := st.Append(context.Background(), response(req, 200, "Content-Type", "text/plain"), b); err != nil {
		tb.Fatal(err)
	}
	b.Close()

	data := bytes.Repeat([]byte("long upload "), 50)
	b = st.NewBody(100)
	defer b.Close()
	b.Write(data[:100])
	r := request("las.cloud.com", "POST", "https://las.cloud.com/upload", "Content-Type", "application/octet-stream")
	r.Body = b.PartialRef()
	if _, err := st.Append(context.Background(), r, b); err != nil {
		tb.Fatal(err)
	}
	b.Write(data[100:])
	final := b.Ref()
	resp := response(r.Seq, 202)
	resp.RequestBody = &final
	appendRecord(tb, st, resp, nil)
}

func signTree(tb testing.TB, st *store.Store, k testKey) store.Checkpoint {
	tb.Helper()
	cp, _, err := SignTree(st, k.signer, time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC).Add(time.Duration(len(mustCheckpoints(tb, st)))*time.Minute))
	if err != nil {
		tb.Fatalf("SignTree: %v", err)
	}
	return cp
}

// signTreeV2 signs a checkpoint of the whole log as Telltale did before
// the index was a leaf: the capture index's root in its fifth line, no
// index record.
func signTreeV2(tb testing.TB, st *store.Store, k testKey) store.Checkpoint {
	tb.Helper()
	size, err := st.Size()
	if err != nil {
		tb.Fatal(err)
	}
	root, err := st.TreeHash(size)
	if err != nil {
		tb.Fatal(err)
	}
	idx, err := IndexRoot2(st, size)
	if err != nil {
		tb.Fatal(err)
	}
	when := time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC).Add(time.Duration(len(mustCheckpoints(tb, st))) * time.Minute)
	msg, err := Sign(Checkpoint{Origin: k.signer.Name(), Size: size, Root: root, Time: when, Index: &idx}, k.signer)
	if err != nil {
		tb.Fatal(err)
	}
	cp, err := st.AppendCheckpoint(size, msg)
	if err != nil {
		tb.Fatal(err)
	}
	return cp
}

// IndexRoot2 is the telltale-index/v2 root of the first size records.
func IndexRoot2(st *store.Store, size uint64) (tlog.Hash, error) {
	x, err := IndexOf(st, size, nil)
	if err != nil {
		return tlog.Hash{}, err
	}
	return x.Root(), nil
}

func mustCheckpoints(tb testing.TB, st *store.Store) []store.Checkpoint {
	cps, err := st.Checkpoints()
	if err != nil {
		tb.Fatal(err)
	}
	return cps
}

// fixture is a closed store with many captures and three checkpoints,
// built once per test binary; copy it before changing it.
var fixture struct {
	once sync.Once
	dir  string
	key  testKey
	err  error
}

const fixtureExchanges = 2000

func bigFixture(tb testing.TB) (string, testKey) {
	tb.Helper()
	fixture.once.Do(func() {
		dir, err := os.MkdirTemp("", "telltale-evidence-fixture-")
		if err != nil {
			fixture.err = err
			return
		}
		fixture.dir, fixture.key = dir, newPlusKey(tb, "telltale/fixture")
		st, err := store.Open(dir, storeOptions())
		if err != nil {
			fixture.err = err
			return
		}
		defer st.Close()
		fill(tb, st, fixtureExchanges/2)
		signTree(tb, st, fixture.key)
		for i := fixtureExchanges / 2; i < fixtureExchanges; i++ {
			exchange(tb, st, i)
			if i == fixtureExchanges*3/4 {
				signTree(tb, st, fixture.key)
			}
		}
		signTree(tb, st, fixture.key)
	})
	if fixture.err != nil {
		tb.Fatal(fixture.err)
	}
	return fixture.dir, fixture.key
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// copyDir copies a data dir for a test to change.
func copyDir(tb testing.TB, src string) string {
	tb.Helper()
	dst := tb.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return dst
}

// export writes a bundle of st and returns its bytes.
func export(tb testing.TB, st *store.Store, k testKey, sel Selection) []byte {
	tb.Helper()
	var b bytes.Buffer
	_, _, err := Export(&b, st, ExportOptions{Selection: sel, Signer: k.signer, Key: k.vkey, Tool: "telltale test",
		Now: func() time.Time { return time.Date(2026, 4, 16, 8, 0, 0, 0, time.UTC) }, TempDir: tb.TempDir()})
	if err != nil {
		tb.Fatalf("Export: %v", err)
	}
	return b.Bytes()
}

func verifyBundle(tb testing.TB, b []byte, key string) *BundleReport {
	tb.Helper()
	opts := BundleOptions{}
	if key != "" {
		opts.Keys = []string{key}
	}
	rep, err := VerifyBundle(context.Background(), bytes.NewReader(b), int64(len(b)), opts)
	if err != nil {
		tb.Fatalf("VerifyBundle: %v", err)
	}
	return rep
}

// unzip returns a bundle's files by name, in zip order.
func unzip(tb testing.TB, b []byte) ([]string, map[string][]byte) {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		names = append(names, f.Name)
		files[f.Name] = data
	}
	return names, files
}

// rezip writes files back into a zip, in the given order.
func rezip(tb testing.TB, names []string, files map[string][]byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func findingStrings(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

// wantFindings fails unless got is exactly want, in any order.
func wantFindings(tb testing.TB, got []Finding, want ...string) {
	tb.Helper()
	gs := findingStrings(got)
	left := map[string]int{}
	for _, g := range gs {
		left[g]++
	}
	ok := len(gs) == len(want)
	for _, w := range want {
		if left[w] == 0 {
			ok = false
		}
		left[w]--
	}
	if !ok {
		tb.Errorf("findings:\n  got  %s\n  want %s", strings.Join(gs, "\n       "), strings.Join(want, "\n       "))
	}
}

// hasFinding fails unless want is one of got.
func hasFinding(tb testing.TB, got []Finding, want string) {
	tb.Helper()
	for _, g := range findingStrings(got) {
		if g == want {
			return
		}
	}
	tb.Errorf("findings:\n  got  %s\n  want among them: %s", strings.Join(findingStrings(got), "\n       "), want)
}

// mustBody reads a stored body whole.
func mustBody(tb testing.TB, st *store.Store, key string) []byte {
	tb.Helper()
	rc, _, err := st.OpenBody(key)
	if err != nil {
		tb.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
