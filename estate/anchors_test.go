package estate_test

import (
	"context"
	"crypto/rand"
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
