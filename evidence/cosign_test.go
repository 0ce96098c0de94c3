package evidence

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/telltale/telltale/internal/litewitness"
	"github.com/telltale/telltale/store"
)

// TestCosignLatest_Litewitness runs the C2SP tlog-witness protocol
// against a real litewitness on loopback: a first checkpoint (old 0), a
// store that lost track of what the witness cosigned (409, retried with
// the proof from the witness's size), a bundle whose cosignatures verify
// with --witness, and a forked history the witness refuses, which Verify
// then fails.
func TestCosignLatest_Litewitness(t *testing.T) {
	k := newTestKey(t, "telltale/witnessed")
	w := litewitness.Start(t, k.vkey)
	c, err := NewCosigner(w.URL, w.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	st := mustOpen(t, dir, storeOptions())
	fill(t, st, 3)
	signTree(t, st, k)
	lostDir := copyDir(t, dir) // before the witness cosigned
	if ok, err := CosignLatest(ctx, st, c); !ok || err != nil {
		t.Fatalf("first checkpoint: %v, %v; want cosigned\n%s", ok, err, w.Log())
	}
	if ok, err := CosignLatest(ctx, st, c); ok || err != nil {
		t.Fatalf("again: %v, %v; want nothing to do", ok, err)
	}

	// A copy of the log without its stored cosignatures asks from size 0:
	// the witness answers 409 with its size, and the retry proves from it.
	lost := mustOpen(t, lostDir, storeOptions())
	fill(t, lost, 2)
	signTree(t, lost, k)
	if ok, err := CosignLatest(ctx, lost, c); !ok || err != nil {
		t.Fatalf("after a 409: %v, %v; want cosigned\n%s", ok, err, w.Log())
	}
	rep, err := Verify(lost, VerifyOptions{Verifier: k.verifier(t), Witnesses: []string{w.Key}})
	if err != nil || !rep.OK() || len(rep.Anchors.Cosigned) != 1 || rep.Anchors.Cosigned[0].Witnesses[0] != w.Name {
		t.Fatalf("Verify with --witness: %v %v, cosigned %+v", err, findingStrings(rep.Failures), rep.Anchors.Cosigned)
	}
	b := export(t, lost, k, Selection{})
	brep := verifyWitnessed(t, b, k, w.Key)
	if !brep.OK() || brep.Manifest.Format != BundleFormatV4 || len(brep.Anchors.Cosigned) != 1 || brep.Anchors.Cosigned[0].Size != mustSize(t, lost) {
		t.Fatalf("bundle with --witness: %v, format %s, cosigned %+v", findingStrings(brep.Failures), brep.Manifest.Format, brep.Anchors.Cosigned)
	}
	if out, ok := outsider(t, b, "--key", k.vkey, "--witness", w.Key); !ok || !strings.Contains(out, "1 of the witnesses you named vouch for it ("+w.Name+")") {
		t.Errorf("the outsider verifier with --witness:\n%s", out)
	}

	// The key holder rewrites history: another log under the same key,
	// longer than what the witness cosigned. The witness refuses it.
	fork := mustOpen(t, t.TempDir(), storeOptions())
	for i := 100; i < 120; i++ {
		exchange(t, fork, i)
	}
	signTree(t, fork, k)
	_, err = CosignLatest(ctx, fork, c)
	if !errors.Is(err, ErrForked) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("forked log: got %v, want ErrForked, refused\n%s", err, w.Log())
	}
	rep, err = Verify(fork, VerifyOptions{Verifier: k.verifier(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failures) != 1 || !strings.Contains(rep.Failures[0].Msg, "witness "+w.Name) ||
		!strings.Contains(rep.Failures[0].Msg, "FORKED") {
		t.Errorf("Verify of the forked log: %v; want the witness's refusal", findingStrings(rep.Failures))
	}
	fb := export(t, fork, k, Selection{})
	frep := verifyWitnessed(t, fb, k, w.Key)
	hasFinding(t, frep.Failures, "no witness you named (--witness "+w.Name+") cosigned any checkpoint of this bundle: "+
		"nothing outside the key holder vouches for this log (a log rewritten after a witness saw it gets no cosignature; "+
		"ask the witness for its latest checkpoint of this log)")
	if out, ok := outsider(t, fb, "--key", k.vkey, "--witness", w.Key); ok || !strings.Contains(out, "FAIL no witness you named cosigned") {
		t.Errorf("the outsider verifier, forked log, --witness:\n%s", out)
	}
}

func verifyWitnessed(t *testing.T, b []byte, k testKey, witness string) *BundleReport {
	t.Helper()
	rep, err := VerifyBundle(context.Background(), bytes.NewReader(b), int64(len(b)),
		BundleOptions{Keys: []string{k.vkey}, Witnesses: []string{witness}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func mustSize(t *testing.T, st *store.Store) uint64 {
	t.Helper()
	n, err := st.Size()
	if err != nil {
		t.Fatal(err)
	}
	return n
}
