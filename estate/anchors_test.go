package estate_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/archive"
	"github.com/telltale/telltale/estate"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/internal/versitygw"
	"github.com/telltale/telltale/store"
	"github.com/telltale/telltale/testbed"
)

// cosign signs the checkpoint's text with a witness key and returns the
// signature line, as a witness's cosignature is stored.
func cosign(t *testing.T, w note.Signer, signed []byte) []byte {
	t.Helper()
	text, _, _ := strings.Cut(string(signed), "\n\n")
	msg, err := note.Sign(&note.Note{Text: text + "\n"}, w)
	if err != nil {
		t.Fatal(err)
	}
	_, sig, _ := strings.Cut(string(msg), "\n\n")
	return []byte(sig)
}

func TestEstate_TimestampsAndCosignaturesOfArchivedCheckpoints(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "estate", true)
	b := bucket(t, srv)
	ctx := context.Background()
	tsa, err := testbed.NewTSA(testbed.TSAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tsa.Start()
	t.Cleanup(func() { tsa.Close() })
	roots, err := evidence.ParseTSARoots(tsa.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	wkey, wvkey, err := note.GenerateKey(rand.Reader, "witness.example")
	if err != nil {
		t.Fatal(err)
	}
	witness, _ := note.NewSigner(wkey)

	s := newSite(t, "telltale/anchored")
	s.capture(t, 3)
	cp, err := s.st.LatestCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	tsr, err := (&evidence.TSA{URL: tsa.URL()}).Stamp(ctx, cp.Note)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []store.Anchor{{Checkpoint: cp.Index, Kind: store.AnchorTimestamp, Data: tsr},
		{Checkpoint: cp.Index, Kind: store.AnchorCosignatures, Data: cosign(t, witness, cp.Note)}} {
		if err := s.st.PutAnchor(a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := archive.New(s.st, b, archive.Options{Retention: 48 * time.Hour, Mode: archive.Compliance}).Step(ctx); err != nil {
		t.Fatal(err)
	}
	log := estate.Log{Key: s.vkey}
	r, err := estate.Verify(ctx, b, "", log, estate.VerifyOptions{Witnesses: []string{wvkey}, TSARoots: roots})
	if err != nil || !r.OK() {
		t.Fatalf("verify: %+v, %v", r, err)
	}
	if r.Timestamps != 1 || r.Cosigned["witness.example"] != 1 {
		t.Errorf("got %d timestamps and cosignatures %v, want 1 and 1 by witness.example", r.Timestamps, r.Cosigned)
	}

	// A later cosignature of checkpoint 1 is a new object beside the
	// first, never a rewrite; one by a witness the estate does not trust
	// is not counted, and one over another text does not verify.
	other, _, _ := note.GenerateKey(rand.Reader, "witness.example")
	stranger, _ := note.NewSigner(other)
	lines := append(cosign(t, witness, cp.Note), cosign(t, stranger, cp.Note)...)
	if err := s.st.PutAnchor(store.Anchor{Checkpoint: cp.Index, Kind: store.AnchorCosignatures, Data: lines}); err != nil {
		t.Fatal(err)
	}
	if _, err := archive.New(s.st, b, archive.Options{Retention: 48 * time.Hour, Mode: archive.Compliance}).Step(ctx); err != nil {
		t.Fatal(err)
	}
	keys, _ := b.List(ctx, "telltale/anchored/checkpoints/1.cosignatures/")
	if len(keys) != 2 {
		t.Errorf("cosignature objects: %v, want the first and the later one", keys)
	}
	if r, err = estate.Verify(ctx, b, "", log, estate.VerifyOptions{Witnesses: []string{wvkey}, TSARoots: roots}); err != nil || !r.OK() {
		t.Fatalf("verify: %+v, %v", r, err)
	}
	if r.Cosigned["witness.example"] != 2 {
		t.Errorf("cosignatures counted: %v, want witness.example's two (one per object), not the stranger's", r.Cosigned)
	}

	// A timestamp of another message under this checkpoint's name fails.
	forged, err := (&evidence.TSA{URL: tsa.URL()}).Stamp(ctx, []byte("another note\n"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256hex(forged)
	if _, err := b.PutOnce(ctx, "telltale/anchored/"+archive.AnchorPath(1, store.AnchorTimestamp, sum), forged, archive.Lock{}); err != nil {
		t.Fatal(err)
	}
	r, _ = estate.Verify(ctx, b, "", log, estate.VerifyOptions{Witnesses: []string{wvkey}, TSARoots: roots})
	if r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), "timestamp") {
		t.Errorf("a timestamp over another message: problems %v, want one about the timestamp", r.Problems)
	}
}

func TestEstate_SealedBodyCopyArchivedAndChecked(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "estate", true)
	b := bucket(t, srv)
	ctx := context.Background()
	s := &site{now: time.Now().UTC().Add(-time.Hour)}
	st, err := store.Open(t.TempDir(), store.Options{InlineMax: 64, Now: func() time.Time { return s.now },
		Seal: evidence.Redactor{Fields: []string{"clientSecret"}}.Seal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	skey, vkey, _ := note.GenerateKey(rand.Reader, "telltale/sealed")
	s.st, s.vkey = st, vkey
	s.signer, _ = note.NewSigner(skey)
	req := &store.Record{Kind: store.KindRequest, Host: "las.cloud.com", Port: "443", Time: s.now,
		Head: &store.Head{Method: "POST", URL: "https://las.cloud.com/token", Proto: "HTTP/1.1", Headers: []store.Header{{Name: "Content-Type", Value: "application/json"}}}}
	seq := s.append(t, req, `{"clientId":"abc","clientSecret":"hunter2-very-secret"}`)
	rec, _ := st.Record(seq)
	if rec.Seal == nil {
		t.Fatal("the request body was not sealed")
	}
	s.append(t, &store.Record{Kind: store.KindResponse, Capture: seq, Time: s.now, Head: &store.Head{Status: 200, Proto: "HTTP/1.1"}}, `{"ok":true}`)
	if _, _, err := evidence.SignTree(st, s.signer, s.now); err != nil {
		t.Fatal(err)
	}
	if _, err := archive.New(st, b, archive.Options{Retention: 48 * time.Hour, Mode: archive.Compliance}).Step(ctx); err != nil {
		t.Fatal(err)
	}
	copyKey := "telltale/sealed/" + archive.BlobPath(rec.Seal.Copy)
	got, err := b.Get(ctx, copyKey)
	if err != nil || strings.Contains(string(got), "hunter2") {
		t.Fatalf("the archived copy: %q, %v; want the redacted copy", got, err)
	}
	r, err := estate.Verify(ctx, b, "", estate.Log{Key: vkey}, estate.VerifyOptions{})
	if err != nil || !r.OK() || r.Missing != 0 {
		t.Fatalf("verify: problems %v, %d missing, %v", r.Problems, r.Missing, err)
	}
	// The copy is checked against its hash like any body.
	if err := os.WriteFile(filepath.Join(srv.Dir, "estate", copyKey), []byte(`{"clientId":"abc","clientSecret":"[changed]"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ = estate.Verify(ctx, b, "", estate.Log{Key: vkey}, estate.VerifyOptions{})
	if !strings.Contains(strings.Join(r.Problems, "\n"), "tampered: body "+rec.Seal.Copy) {
		t.Errorf("an edited redacted copy: problems %v", r.Problems)
	}
}
