package archive_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/archive"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/internal/versitygw"
	"github.com/telltale/telltale/store"
)

// day0 is recent: the server takes no retain-until date in the past.
var day0 = time.Now().UTC().Truncate(time.Hour).Add(-48 * time.Hour)

// testLog is a store with exchanges and signed checkpoints.
type testLog struct {
	st     *store.Store
	signer note.Signer
	vkey   string
	now    time.Time
}

func newTestLog(tb testing.TB, name string) *testLog {
	tb.Helper()
	l := &testLog{now: day0}
	st, err := store.Open(tb.TempDir(), store.Options{InlineMax: 64, Now: func() time.Time { return l.now }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		tb.Fatal(err)
	}
	l.st, l.vkey = st, vkey
	if l.signer, err = note.NewSigner(skey); err != nil {
		tb.Fatal(err)
	}
	return l
}

// exchanges appends n captures, each a request and a response whose
// bodies are distinct (and every third response the same bytes, shared),
// then signs a checkpoint.
func (l *testLog) exchanges(tb testing.TB, n int) {
	tb.Helper()
	for i := range n {
		l.now = l.now.Add(time.Minute)
		req := &store.Record{Kind: store.KindRequest, Client: "127.0.0.1:5000", Host: "las.cloud.com", Port: "443", Time: l.now,
			Head: &store.Head{Method: "POST", URL: "https://las.cloud.com/upload", Proto: "HTTP/1.1"}}
		seq := l.append(tb, req, fmt.Sprintf(`{"upload":%d,"at":%q,"padding":"%080d"}`, i, l.now, i))
		body := fmt.Sprintf(`{"ok":true,"n":%d}`, i)
		if i%3 == 0 {
			body = `{"ok":true,"shared":"the same response body, long enough to be a blob file"}`
		}
		resp := &store.Record{Kind: store.KindResponse, Capture: seq, Time: l.now.Add(time.Second),
			Head: &store.Head{Status: 200, Proto: "HTTP/1.1"}}
		l.append(tb, resp, body)
	}
	if _, _, err := evidence.SignTree(l.st, l.signer, l.now.Add(2*time.Second)); err != nil {
		tb.Fatal(err)
	}
}

func (l *testLog) append(tb testing.TB, r *store.Record, data string) uint64 {
	tb.Helper()
	body := l.st.NewBody(0)
	defer body.Close()
	body.Write([]byte(data))
	seq, err := l.st.Append(context.Background(), r, body)
	if err != nil {
		tb.Fatal(err)
	}
	return seq
}

// countingClient counts the requests that reach the server and cancels
// ctx after stopAfter PUTs (0: never).
type countingClient struct {
	puts      atomic.Int64
	stopAfter int64
	cancel    context.CancelFunc

	mu      sync.Mutex
	headers map[string]http.Header // of each PUT, by path
}

func (c *countingClient) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut {
		c.mu.Lock()
		if c.headers == nil {
			c.headers = map[string]http.Header{}
		}
		c.headers[r.URL.Path] = r.Header.Clone()
		c.mu.Unlock()
		if n := c.puts.Add(1); c.stopAfter > 0 && n > c.stopAfter {
			c.cancel()
			return nil, context.Canceled
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

func openBucket(tb testing.TB, srv *versitygw.Server, name string, rt http.RoundTripper) *archive.Bucket {
	tb.Helper()
	versitygw.Env(tb, "TT_TEST_ACCESS", "TT_TEST_SECRET")
	b, err := archive.OpenBucket(context.Background(), archive.BucketOptions{Endpoint: srv.Endpoint, Region: "us-east-1", Bucket: name,
		AccessKeyEnv: "TT_TEST_ACCESS", SecretKeyEnv: "TT_TEST_SECRET", HTTPClient: &http.Client{Transport: rt}})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

const retention = 30 * 24 * time.Hour

func TestArchive_PushLocksEveryObjectAndResends_Nothing(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "evidence", true)
	ctx := context.Background()
	cc := &countingClient{}
	b := openBucket(t, srv, "evidence", cc)
	mode, err := archive.CheckBucket(ctx, b, archive.Compliance, false)
	if err != nil || mode != archive.Compliance {
		t.Fatalf("check locked bucket: got %q, %v; want COMPLIANCE", mode, err)
	}
	l := newTestLog(t, "telltale/site-a")
	l.exchanges(t, 150) // 300 records and the checkpoint's index: a full tile and a partial one
	size := l.size(t)
	w := size - 256
	a := archive.New(l.st, b, archive.Options{Prefix: "estate", Retention: retention, Mode: mode, VerifierKey: l.vkey})
	n, err := a.Step(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := a.Status()
	if st.Archived != size || st.Size != size || st.Checkpoint != 1 || !st.Oldest.IsZero() {
		t.Fatalf("status after push: %+v", st)
	}
	keys, err := b.List(ctx, "estate/telltale/site-a/")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != n {
		t.Errorf("the push wrote %d objects, the bucket lists %d: %v", n, len(keys), keys)
	}
	want := []string{"log.pub", "checkpoint", "checkpoints/1", "tile/0/000", fmt.Sprintf("tile/0/001.p/%d", w), "tile/1/000.p/1",
		"tile/entries/000", fmt.Sprintf("tile/entries/001.p/%d", w), "records/000", fmt.Sprintf("records/001.p/%d", w)}
	have := map[string]bool{}
	blobs := 0
	for _, k := range keys {
		k = k[len("estate/telltale/site-a/"):]
		have[k] = true
		if len(k) > 13 && k[:13] == "blobs/sha256/" {
			blobs++
		}
	}
	for _, k := range want {
		if !have[k] {
			t.Errorf("missing %s in %v", k, keys)
		}
	}
	// 150 distinct requests, 100 distinct responses and one shared.
	if want := l.distinctBodies(t); blobs != want || want < 251 {
		t.Errorf("got %d blobs, want %d (150 requests, 100 responses and one shared, and the log's own), deduplicated", blobs, want)
	}
	// Retention: explicit, per object, from the capture time.
	c := srv.Client()
	for _, k := range []string{"tile/entries/000", "checkpoints/1"} {
		r, err := c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String("evidence"), Key: aws.String("estate/telltale/site-a/" + k)})
		if err != nil {
			t.Fatalf("retention of %s: %v", k, err)
		}
		if r.Retention.Mode != types.ObjectLockRetentionModeCompliance {
			t.Errorf("%s: mode %q, want COMPLIANCE", k, r.Retention.Mode)
		}
		if until := aws.ToTime(r.Retention.RetainUntilDate); until.Before(day0.Add(retention)) || until.After(l.now.Add(retention+time.Hour)) {
			t.Errorf("%s: retain until %v, want capture time + %v", k, until, retention)
		}
	}
	// Every PUT carries a SHA-256 checksum and its own retention, and all
	// but the checkpoint's new version ask the server to write only a
	// key that is not there.
	for path, h := range cc.headers {
		if h.Get("X-Amz-Checksum-Sha256") == "" || h.Get("X-Amz-Object-Lock-Mode") != "COMPLIANCE" || h.Get("X-Amz-Object-Lock-Retain-Until-Date") == "" {
			t.Errorf("PUT %s: checksum %q, lock mode %q, retain until %q", path, h.Get("X-Amz-Checksum-Sha256"),
				h.Get("X-Amz-Object-Lock-Mode"), h.Get("X-Amz-Object-Lock-Retain-Until-Date"))
		}
		if once := h.Get("If-None-Match") == "*"; once == strings.HasSuffix(path, "/checkpoint") {
			t.Errorf("PUT %s: If-None-Match %q", path, h.Get("If-None-Match"))
		}
	}
	if len(cc.headers) < 250 {
		t.Errorf("saw %d PUTs", len(cc.headers))
	}

	// A second run uploads nothing.
	before := cc.puts.Load()
	if n, err := a.Step(ctx); err != nil || n != 0 || cc.puts.Load() != before {
		t.Fatalf("second run: wrote %d objects in %d PUTs (%v), want none", n, cc.puts.Load()-before, err)
	}

	// The server refuses to delete a locked version, and Telltale never
	// overwrites: other bytes under an archived key are a conflict.
	key := "estate/telltale/site-a/tile/entries/000"
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("evidence"), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("evidence"), Key: aws.String(key), VersionId: head.VersionId})
	if err == nil || !archive.Refused(err) {
		t.Fatalf("delete of a locked version: got %v, want the server to refuse", err)
	}
	_, err = b.PutOnce(ctx, key, []byte("forged"), archive.Lock{Mode: archive.Compliance, Until: day0.Add(retention)})
	if !errors.Is(err, archive.ErrConflict) {
		t.Fatalf("overwrite: got %v, want ErrConflict", err)
	}
	got, err := b.Get(ctx, key)
	if err != nil || len(got) == 0 || string(got) == "forged" {
		t.Fatalf("after the refusals the entry bundle reads %q (%v)", got, err)
	}

	// More captures: only what is new goes.
	l.exchanges(t, 10)
	before = cc.puts.Load()
	if _, err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if st := a.Status(); st.Archived != l.size(t) || st.Checkpoint != 2 {
		t.Fatalf("after growth: %+v", st)
	}
	if puts := cc.puts.Load() - before; puts > 40 {
		t.Errorf("growth of 20 records took %d PUTs; the archive should send only what is new", puts)
	}
}

func TestArchive_KilledMidPushResumesWithoutGapOrDuplicate(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "evidence", true)
	l := newTestLog(t, "telltale/site-b")
	l.exchanges(t, 700) // 1400 records (and the checkpoint's index), six tiles
	size := l.size(t)
	opts := archive.Options{Retention: retention, Mode: archive.Compliance, Chunk: 512}

	ctx, cancel := context.WithCancel(context.Background())
	cut := &countingClient{stopAfter: 900, cancel: cancel}
	_, err := archive.New(l.st, openBucket(t, srv, "evidence", cut), opts).Step(ctx)
	if err == nil {
		t.Fatal("push cut after 900 PUTs succeeded")
	}
	state, _ := l.st.ArchiveState()
	if state.Size == 0 || state.Size >= size {
		t.Fatalf("after the cut the archive holds %d records, want some, not all", state.Size)
	}

	cc := &countingClient{}
	a := archive.New(l.st, openBucket(t, srv, "evidence", cc), opts)
	if _, err := a.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := a.Status()
	if st.Archived != size || st.Checkpoint != 1 {
		t.Fatalf("after resume: %+v", st)
	}
	if st.Existing == 0 {
		t.Errorf("resume found nothing already there; it should meet what the cut push wrote past its saved place")
	}
	keys, err := a.Bucket().List(context.Background(), "telltale/site-b/tile/entries/")
	if err != nil {
		t.Fatal(err)
	}
	// Chunks of 512 leave no partial tile but the last: 000..004 full, 005.p/W.
	if fmt.Sprint(keys) != fmt.Sprint([]string{"telltale/site-b/tile/entries/000", "telltale/site-b/tile/entries/001",
		"telltale/site-b/tile/entries/002", "telltale/site-b/tile/entries/003", "telltale/site-b/tile/entries/004",
		fmt.Sprintf("telltale/site-b/tile/entries/005.p/%d", size-5*256)}) {
		t.Errorf("entry bundles: %v", keys)
	}
}

func TestArchive_BucketWithoutObjectLockIsRefused(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "plain", false)
	b := openBucket(t, srv, "plain", http.DefaultTransport)
	ctx := context.Background()
	_, err := archive.CheckBucket(ctx, b, archive.Compliance, false)
	if !errors.Is(err, archive.ErrUnlocked) {
		t.Fatalf("got %v, want ErrUnlocked", err)
	}
	for _, c := range []struct {
		mode  string
		allow bool
	}{{archive.Governance, false}, {archive.Compliance, true}} {
		if mode, err := archive.CheckBucket(ctx, b, c.mode, c.allow); err != nil || mode != "" {
			t.Errorf("%s allow_unlocked=%v: got %q, %v; want no lock and no error", c.mode, c.allow, mode, err)
		}
	}
	l := newTestLog(t, "telltale/site-c")
	l.exchanges(t, 3)
	if _, err := archive.New(l.st, b, archive.Options{Mode: archive.Compliance}).Step(ctx); !errors.Is(err, archive.ErrUnlocked) {
		t.Fatalf("push to an unlocked bucket: got %v, want ErrUnlocked", err)
	}
	if _, err := archive.New(l.st, b, archive.Options{Mode: archive.Compliance, AllowUnlocked: true}).Step(ctx); err != nil {
		t.Fatalf("unlocked push, allowed: %v", err)
	}
}

func TestArchive_BodyConflictReportedAndTheRestGoesOn(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "evidence", true)
	b := openBucket(t, srv, "evidence", http.DefaultTransport)
	ctx := context.Background()
	l := newTestLog(t, "telltale/site-d")
	l.exchanges(t, 5)
	r, err := l.st.Record(1)
	if err != nil {
		t.Fatal(err)
	}
	// Someone put other bytes under the name of the first request's body.
	planted := "telltale/site-d/" + archive.BlobPath(r.Body.StoredKey())
	if _, err := b.PutOnce(ctx, planted, []byte("not the body"), archive.Lock{}); err != nil {
		t.Fatal(err)
	}
	a := archive.New(l.st, b, archive.Options{Retention: retention, Mode: archive.Compliance})
	if _, err := a.Step(ctx); err != nil {
		t.Fatalf("a body conflict stopped the push: %v", err)
	}
	if st := a.Status(); st.Conflicts != 1 || st.Archived != l.size(t) || st.Checkpoint != 1 {
		t.Fatalf("status: %+v; want one conflict reported and every record archived", st)
	}
	if got, _ := b.Get(ctx, planted); string(got) != "not the body" {
		t.Errorf("the planted object was overwritten: %q", got)
	}
}

// size is the log's size.
func (l *testLog) size(tb testing.TB) uint64 {
	tb.Helper()
	n, err := l.st.Size()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// distinctBodies counts the distinct stored bodies the log's records name.
func (l *testLog) distinctBodies(tb testing.TB) int {
	tb.Helper()
	keys := map[string]bool{}
	err := l.st.Records(1, func(r *store.Record) error {
		if k := r.Body.StoredKey(); k != "" {
			keys[k] = true
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return len(keys)
}

func TestArchive_AnchorStateStaysSmall(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "evidence", true)
	b := openBucket(t, srv, "evidence", http.DefaultTransport)
	ctx := context.Background()
	l := newTestLog(t, "telltale/site-e")
	for range 260 {
		l.exchanges(t, 1) // a checkpoint each
		cp, err := l.st.LatestCheckpoint()
		if err != nil {
			t.Fatal(err)
		}
		if err := l.st.PutAnchor(store.Anchor{Checkpoint: cp.Index, Kind: store.AnchorWitness, Data: fmt.Appendf(nil, `{"n":%d}`, cp.Index)}); err != nil {
			t.Fatal(err)
		}
	}
	a := archive.New(l.st, b, archive.Options{Retention: retention, Mode: archive.Compliance})
	if _, err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	state, _ := l.st.ArchiveState()
	if state.Checkpoint != 260 || state.AnchorsFrom != 260-256+1 || len(state.Anchors) != 256 {
		t.Fatalf("state: checkpoint %d, anchors from %d, %d anchors watched; want 260, 5, 256", state.Checkpoint, state.AnchorsFrom, len(state.Anchors))
	}
	if keys, _ := b.List(ctx, "telltale/site-e/checkpoints/1.witness/"); len(keys) != 1 {
		t.Errorf("the first checkpoint's anchor: %v; want it archived before it left the window", keys)
	}
	// A cosignature of the newest checkpoint, later: a new object.
	if err := l.st.PutAnchor(store.Anchor{Checkpoint: 260, Kind: store.AnchorWitness, Data: []byte(`{"n":260,"again":true}`)}); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Step(ctx); err != nil || n != 1 {
		t.Fatalf("a changed anchor of the newest checkpoint: %d objects (%v), want 1", n, err)
	}
}

func TestArchive_LargeBody(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "evidence", true)
	b := openBucket(t, srv, "evidence", http.DefaultTransport)
	ctx := context.Background()
	l := newTestLog(t, "telltale/site-f")
	big := strings.Repeat("0123456789abcdef", 9<<16) // 9 MiB, above the one-at-a-time size
	req := &store.Record{Kind: store.KindRequest, Host: "las.cloud.com", Port: "443", Time: l.now,
		Head: &store.Head{Method: "POST", URL: "https://las.cloud.com/upload", Proto: "HTTP/1.1"}}
	seq := l.append(t, req, big)
	l.append(t, &store.Record{Kind: store.KindResponse, Capture: seq, Time: l.now, Head: &store.Head{Status: 200, Proto: "HTTP/1.1"}}, "ok")
	if _, _, err := evidence.SignTree(l.st, l.signer, l.now); err != nil {
		t.Fatal(err)
	}
	if _, err := archive.New(l.st, b, archive.Options{Retention: retention, Mode: archive.Compliance}).Step(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ := l.st.Record(seq)
	got, err := b.Get(ctx, "telltale/site-f/"+archive.BlobPath(r.Body.StoredKey()))
	if err != nil || string(got) != big {
		t.Fatalf("the large body in the archive: %d bytes (%v), want %d", len(got), err, len(big))
	}
}
