package estate_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/archive"
	"github.com/telltale/telltale/estate"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/internal/versitygw"
	"github.com/telltale/telltale/store"
)

// site is one simulated license server: a store, its log key, archived.
type site struct {
	st     *store.Store
	signer note.Signer
	vkey   string
	now    time.Time
}

func newSite(t testing.TB, name string) *site {
	t.Helper()
	s := &site{now: time.Now().UTC().Add(-time.Hour)}
	st, err := store.Open(t.TempDir(), store.Options{InlineMax: 64, Now: func() time.Time { return s.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s.st, s.vkey = st, vkey
	if s.signer, err = note.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *site) capture(t testing.TB, n int) {
	t.Helper()
	for i := range n {
		s.now = s.now.Add(time.Second)
		req := &store.Record{Kind: store.KindRequest, Host: "las.cloud.com", Port: "443", Time: s.now,
			Head: &store.Head{Method: "POST", URL: "https://las.cloud.com/upload", Proto: "HTTP/1.1"}}
		seq := s.append(t, req, fmt.Sprintf(`{"upload":%d,"pad":"%0100d"}`, i, i))
		s.append(t, &store.Record{Kind: store.KindResponse, Capture: seq, Time: s.now, Head: &store.Head{Status: 200, Proto: "HTTP/1.1"}}, `{"ok":true}`)
	}
	if _, _, err := evidence.SignTree(s.st, s.signer, s.now); err != nil {
		t.Fatal(err)
	}
}

func (s *site) append(t testing.TB, r *store.Record, data string) uint64 {
	t.Helper()
	b := s.st.NewBody(0)
	defer b.Close()
	b.Write([]byte(data))
	seq, err := s.st.Append(context.Background(), r, b)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func bucket(t testing.TB, srv *versitygw.Server) *archive.Bucket {
	t.Helper()
	versitygw.Env(t, "TT_TEST_ACCESS", "TT_TEST_SECRET")
	b, err := archive.OpenBucket(context.Background(), archive.BucketOptions{Endpoint: srv.Endpoint, Bucket: "estate",
		AccessKeyEnv: "TT_TEST_ACCESS", SecretKeyEnv: "TT_TEST_SECRET", HTTPClient: http.DefaultClient})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEstate_TwoLicenseServersVerifyThenTamperAndForkAreFound(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "estate", true)
	b := bucket(t, srv)
	ctx := context.Background()
	a, c := newSite(t, "telltale/frankfurt"), newSite(t, "telltale/virginia")
	for _, s := range []*site{a, c} {
		s.capture(t, 140)
		if _, err := archive.New(s.st, b, archive.Options{Prefix: "p", Retention: 48 * time.Hour, Mode: archive.Compliance}).Step(ctx); err != nil {
			t.Fatal(err)
		}
		s.capture(t, 5) // a second checkpoint, archived: consistency between them
		if _, err := archive.New(s.st, b, archive.Options{Prefix: "p", Retention: 48 * time.Hour, Mode: archive.Compliance}).Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	size, _ := a.st.Size() // 290 records and the checkpoints' indexes; Virginia's the same
	e := &estate.Estate{Source: b, Prefix: "p", Logs: []estate.Log{{Name: "Frankfurt", Key: a.vkey}, {Name: "Virginia", Key: c.vkey}}}
	rep, err := e.Review(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !rep.OK() {
		t.Fatalf("a clean estate does not verify:\n%s", out.String())
	}
	for _, l := range rep.Logs {
		if l.Records != size || l.Checkpoints != 2 || l.Bodies < 141 || l.Missing != 0 || l.Size != size {
			t.Errorf("%s: %+v", l.Name, l)
		}
	}
	if !strings.Contains(out.String(), "Frankfurt") || !strings.Contains(out.String(), "verified") {
		t.Errorf("review:\n%s", out.String())
	}

	// The next review checks only what was archived since: Virginia's
	// tree from the last review is proven a prefix of the new one, and
	// only the leaves of the tiles after it are read.
	c.capture(t, 20)
	if _, err := archive.New(c.st, b, archive.Options{Prefix: "p", Retention: 48 * time.Hour, Mode: archive.Compliance}).Step(ctx); err != nil {
		t.Fatal(err)
	}
	e.Since = rep.Trusted()
	if len(e.Since) != 2 {
		t.Fatalf("trusted trees: %+v", e.Since)
	}
	again, err := e.Review(ctx, nil)
	if err != nil || !again.OK() {
		t.Fatalf("incremental review: %+v, %v", again, err)
	}
	grown, _ := c.st.Size()
	if v := again.Logs[1]; v.From != size || v.Size != grown || v.Records != grown-256 {
		t.Errorf("incremental review of Virginia: from %d, size %d, %d records checked; want from %d, size %d, %d checked", v.From, v.Size, v.Records, size, grown, grown-256)
	}
	if f := again.Logs[0]; f.From != size || f.Records != size-256 {
		t.Errorf("incremental review of Frankfurt (unchanged): from %d, %d records checked", f.From, f.Records)
	}
	e.Since = map[string]estate.Trusted{c.vkey: {Size: size, Root: tlog.Hash{9}}}
	if forked, err := e.Review(ctx, nil); err != nil || forked.Logs[1].OK() || !strings.Contains(strings.Join(forked.Logs[1].Problems, "\n"), "fork") {
		t.Errorf("a review from a tree that is not the archive's prefix: %+v, %v; want a fork", forked.Logs[1].Problems, err)
	}
	e.Since = nil

	// Restore Frankfurt's log into a store of its own: the same tree,
	// records and bodies, and evidence.Verify (telltale verify) passes.
	restored, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if _, err := estate.Restore(ctx, b, "p", e.Logs[0], restored, ""); err != nil {
		t.Fatal(err)
	}
	if n, _ := restored.Size(); n != size {
		t.Fatalf("restored %d records, want %d", n, size)
	}
	want, _ := a.st.TreeHash(size)
	if got, err := restored.TreeHash(size); err != nil || got != want {
		t.Fatalf("restored root %v (%v), want %v", got, err, want)
	}
	first, _ := a.st.Record(1)
	if got, err := restored.Record(1); err != nil || got.Head.URL != first.Head.URL || got.Body != first.Body {
		t.Fatalf("restored record 1: %+v (%v), want %+v", got, err, first)
	}
	v, _ := note.NewVerifier(a.vkey)
	vr, err := evidence.Verify(restored, evidence.VerifyOptions{Verifier: v})
	if err != nil || !vr.OK() {
		t.Fatalf("evidence.Verify of the restored store: %+v, %v", vr, err)
	}

	// Export one log; the zip verifies alone, even once its license
	// server's store is gone.
	var zipped bytes.Buffer
	if _, err := estate.Export(ctx, b, "p", e.Logs[0], &zipped); err != nil {
		t.Fatal(err)
	}
	a.st.Close()
	z, err := estate.OpenZip(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if lr, err := estate.Verify(ctx, z, "p", e.Logs[0], estate.VerifyOptions{}); err != nil || !lr.OK() || lr.Records != size {
		t.Fatalf("exported zip: %+v, %v", lr, err)
	}

	// Someone with access to the appliance's disk edits a body of
	// Virginia's log; and a checkpoint of another tree, signed with
	// Frankfurt's key, appears in its archive (a fork).
	blobs, _ := b.List(ctx, "p/telltale/virginia/blobs/sha256/")
	if err := os.WriteFile(filepath.Join(srv.Dir, "estate", blobs[3]), []byte(`{"ok":false}`), 0o644); err != nil {
		t.Fatal(err)
	}
	forged, err := evidence.Sign(evidence.Checkpoint{Origin: "telltale/frankfurt", Size: size, Root: tlog.Hash{1}, Time: a.now}, a.signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutOnce(ctx, "p/telltale/frankfurt/checkpoints/1", forged, archive.Lock{}); err == nil {
		t.Fatal("an archived checkpoint was overwritten")
	}
	if _, err := b.PutOnce(ctx, "p/telltale/frankfurt/checkpoints/3", forged, archive.Lock{}); err != nil {
		t.Fatal(err)
	}
	rep, err = e.Review(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	rep.Print(&out)
	if rep.Logs[0].OK() || !strings.Contains(strings.Join(rep.Logs[0].Problems, "\n"), "fork") {
		t.Errorf("the forked checkpoint was not found:\n%s", out.String())
	}
	if rep.Logs[1].OK() || !strings.Contains(strings.Join(rep.Logs[1].Problems, "\n"), "tampered: body") {
		t.Errorf("the edited body was not found:\n%s", out.String())
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
