package evidence

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// editEntry rewrites record rec of line n (from 0) of captures.jsonl.
func editEntry(t *testing.T, files map[string][]byte, n, rec int, edit func(l *Line, e *Entry)) {
	t.Helper()
	lines := bytes.SplitAfter(files[FileCaptures], []byte("\n"))
	var l Line
	if err := json.Unmarshal(lines[n], &l); err != nil {
		t.Fatal(err)
	}
	edit(&l, &l.Records[rec])
	b, err := json.Marshal(&l)
	if err != nil {
		t.Fatal(err)
	}
	lines[n] = append(b, '\n')
	files[FileCaptures] = bytes.Join(lines, nil)
}

// TestVerifyBundle_BrokenInclusionProof: a record whose audit path does
// not lead from its leaf to the checkpoint's root fails, even in a bundle
// re-signed by the log's key, since the key does not sign the tree.
func TestVerifyBundle_BrokenInclusionProof(t *testing.T) {
	st, k := newSecrets(t)
	b := export(t, st, k, Selection{})
	names, files := unzip(t, b)
	// Re-encoding a line as is changes nothing the verifier checks.
	same := maps.Clone(files)
	editEntry(t, same, 1, 0, func(*Line, *Entry) {})
	if rep := verifyBundle(t, resign(t, k, names, same), k.vkey); !rep.OK() || rep.Records != 6 {
		t.Fatalf("re-encoded as is: ok %v, %d records: %v", rep.OK(), rep.Records, findingStrings(rep.Failures))
	}
	const want = "captures.jsonl line 2, capture 3, record 3: inclusion proof does not lead to the checkpoint's root: "
	for _, tc := range []struct {
		name string
		edit func(l *Line, e *Entry)
	}{
		{"a bit of the first hash", func(_ *Line, e *Entry) { e.Proof[0][0] ^= 1 }},
		{"a bit of the last hash", func(_ *Line, e *Entry) { e.Proof[len(e.Proof)-1][31] ^= 0x80 }},
		{"the last hash dropped", func(_ *Line, e *Entry) { e.Proof = e.Proof[:len(e.Proof)-1] }},
		{"a hash added", func(_ *Line, e *Entry) { e.Proof = append(e.Proof, e.Proof[0]) }},
		{"no proof", func(_ *Line, e *Entry) { e.Proof = nil }},
		{"the proof of the next record", func(l *Line, e *Entry) { e.Proof = l.Records[1].Proof }},
		{"two hashes swapped", func(_ *Line, e *Entry) { e.Proof[0], e.Proof[1] = e.Proof[1], e.Proof[0] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed := maps.Clone(files)
			editEntry(t, changed, 1, 0, func(l *Line, e *Entry) {
				if len(e.Proof) < 2 || e.Seq != 3 {
					t.Fatalf("record %d has a proof of %d hashes; want record 3 with two or more", e.Seq, len(e.Proof))
				}
				tc.edit(l, e)
			})
			rep := verifyBundle(t, resign(t, k, names, changed), k.vkey)
			if !rep.KeyPinned {
				t.Fatal("the bundle was not checked against the pinned key")
			}
			if !hasPrefix(findingStrings(rep.Failures), want) {
				t.Errorf("failures %v: want one starting %q", findingStrings(rep.Failures), want)
			}
		})
	}
}

// A proof that is right for another tree size proves nothing about this
// checkpoint: the verifier checks against the checkpoint, not the proof.
func TestVerifyBundle_ProofOfAnEarlierTree(t *testing.T) {
	st, k := newSecrets(t)
	b := export(t, st, k, Selection{})
	names, files := unzip(t, b)
	cps := mustCheckpoints(t, st)
	if len(cps) < 2 {
		t.Fatalf("%d checkpoints, want two", len(cps))
	}
	first := cps[0]
	p, err := tlog.ProveRecord(int64(first.Size), 0, st.HashReader())
	if err != nil {
		t.Fatal(err)
	}
	changed := maps.Clone(files)
	editEntry(t, changed, 0, 0, func(_ *Line, e *Entry) {
		if e.LeafIndex != 0 || slices.Equal(e.Proof, p) {
			t.Fatalf("record %d, leaf %d: want record 1 with a proof unlike the earlier tree's", e.Seq, e.LeafIndex)
		}
		e.Proof = p
	})
	rep := verifyBundle(t, resign(t, k, names, changed), k.vkey)
	want := "captures.jsonl line 1, capture 1, record 1: inclusion proof does not lead to the checkpoint's root: "
	if !hasPrefix(findingStrings(rep.Failures), want) {
		t.Errorf("failures %v: want one starting %q", findingStrings(rep.Failures), want)
	}
}
