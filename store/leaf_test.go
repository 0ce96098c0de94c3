package store

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// mth is the RFC 6962 Merkle tree hash, computed from scratch: a check on
// the stored hashes that shares nothing with tlog's storage.
func mth(leaves [][]byte) tlog.Hash {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, leaves[0]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := mth(leaves[:k]), mth(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func TestStore_TreeHash_MatchesRFC6962(t *testing.T) {
	s := newTestStore(t)
	const n = 37
	for i := range n {
		switch i % 3 {
		case 0:
			mustAppend(t, s, request("example.com", fmt.Sprint("/", i)), []byte(fmt.Sprint(i)))
		case 1:
			mustAppend(t, s, response(uint64(i)), nil)
		default:
			mustAppend(t, s, &Record{Kind: KindTunnel, Host: "t.example", BytesUp: int64(i)}, nil)
		}
	}
	var leaves [][]byte
	err := s.Records(0, func(r *Record) error {
		leaf, err := LeafData(r)
		leaves = append(leaves, leaf)
		return err
	})
	if err != nil || len(leaves) != n {
		t.Fatalf("Records: got %d leaves, %v, want %d", len(leaves), err, n)
	}
	for size := 0; size <= n; size++ {
		got, err := s.TreeHash(uint64(size))
		if want := mth(leaves[:size]); err != nil || got != want {
			t.Errorf("TreeHash(%d): got %v, %v, want %v", size, got, err, want)
		}
	}
	checkProofs(t, s, leaves)
}

// checkProofs proves every leaf into the whole tree, and that a changed
// leaf does not verify.
func checkProofs(t *testing.T, s *Store, leaves [][]byte) {
	t.Helper()
	size := int64(len(leaves))
	th, _ := s.TreeHash(uint64(size))
	for i, leaf := range leaves {
		p, err := tlog.ProveRecord(size, int64(i), s.HashReader())
		if err != nil {
			t.Fatalf("ProveRecord(%d): %v", i, err)
		}
		if err := tlog.CheckRecord(p, size, th, int64(i), tlog.RecordHash(leaf)); err != nil {
			t.Errorf("CheckRecord(%d): %v", i, err)
		}
		forged := bytes.Replace(leaf, []byte("kind "), []byte("kind x"), 1)
		if err := tlog.CheckRecord(p, size, th, int64(i), tlog.RecordHash(forged)); err == nil {
			t.Errorf("CheckRecord(%d) of a forged leaf: got nil, want an error", i)
		}
	}
}

func TestStore_Records_FromAndChunks(t *testing.T) {
	s := newTestStore(t)
	for range recordsChunk + 10 {
		mustAppend(t, s, &Record{Kind: KindDenied}, nil)
	}
	var seqs []uint64
	s.Records(5, func(r *Record) error { seqs = append(seqs, r.Seq); return nil })
	if len(seqs) != recordsChunk+6 || seqs[0] != 5 || seqs[len(seqs)-1] != recordsChunk+10 {
		t.Errorf("Records(5): got %d records %d..%d, want %d..%d", len(seqs), seqs[0], seqs[len(seqs)-1], 5, recordsChunk+10)
	}
}

func TestLeafData_Encoding(t *testing.T) {
	r := &Record{Seq: 12, Capture: 11, Kind: KindResponse, Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		Head: &Head{Status: 200, Proto: "HTTP/1.1"},
		Body: BodyRef{SHA256: sum("abcdef"), Size: 6, Truncated: true, StoredSHA256: sum("abc"), StoredSize: 3}}
	meta, _ := MetaHash(r)
	head, _ := HeadHash(r)
	want := "telltale-leaf/v1\nseq 12\ncapture 11\nkind response\nmeta " + meta + "\nhead " + head +
		"\nbody " + sum("abcdef") + " 6\nstored " + sum("abc") + " 3\n"
	got, err := LeafData(r)
	if err != nil || string(got) != want {
		t.Errorf("LeafData: got %q, %v, want %q", got, err, want)
	}
	m := *r
	m.Head, m.Body = nil, BodyRef{}
	if b, _ := jsonHash(&m); meta != b || meta != sum(`{"seq":12,"capture":11,"kind":"response","time":"2025-01-01T00:00:00Z","body":{"sha256":"","size":0,"truncated":false}}`) {
		t.Errorf("MetaHash: got %s, want the hash of the JSON without head and body", meta)
	}
	r.Head, r.Body = nil, BodyRef{}
	got, _ = LeafData(r)
	if !strings.HasSuffix(string(got), "\nhead -\nbody -\nstored -\n") {
		t.Errorf("LeafData without head and body: got %q, want dashes", got)
	}
}

// Pruning a body, or withholding the head, leaves the rest verifiable:
// the leaf does not change when Pruned is set.
func TestLeafData_IgnoresPruned(t *testing.T) {
	r := request("example.com", "/")
	r.Seq, r.Capture, r.Body = 1, 1, BodyRef{SHA256: sum("x"), Size: 1}
	before, _ := LeafData(r)
	r.Body.Pruned = true
	after, _ := LeafData(r)
	if !bytes.Equal(before, after) {
		t.Errorf("LeafData changed with Pruned: got %q, want %q", after, before)
	}
}

// A record read back from the store gives the leaf it was logged with,
// even with text JSON cannot carry and a non-UTC time.
func TestLeafData_StableThroughStorage(t *testing.T) {
	s := newTestStore(t)
	r := request("example.com", "/ü?<a>&b")
	r.Head.Headers = append(r.Head.Headers, Header{Name: "X-Latin1", Value: "caf\xe9"})
	r.Time = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600))
	mustAppend(t, s, r, []byte("body"))
	if got, want := r.Head.Headers[2].Value, "caf\uFFFD"; got != want {
		t.Errorf("header after Append: got %q, want %q", got, want)
	}
	want, _ := LeafData(r)
	got, err := s.Record(r.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if leaf, _ := LeafData(got); !bytes.Equal(leaf, want) {
		t.Errorf("leaf of stored record: got %q, want %q", leaf, want)
	}
	th, _ := s.TreeHash(1)
	if th != mth([][]byte{want}) {
		t.Errorf("TreeHash(1): got %v, want the hash of the appended record's leaf", th)
	}
}

func TestParseLeaf_RoundTripAndRejects(t *testing.T) {
	r := response(3)
	r.Seq, r.Body = 4, BodyRef{SHA256: sum("b"), Size: 1}
	data, _ := LeafData(r)
	l, err := ParseLeaf(data)
	if err != nil || !bytes.Equal(l.Encode(), data) {
		t.Fatalf("ParseLeaf: got %+v, %v, want a round trip of %q", l, err, data)
	}
	bad := map[string]string{
		"leading zero": strings.Replace(string(data), "seq 4", "seq 04", 1),
		"upper hex":    strings.Replace(string(data), sum("b"), strings.ToUpper(sum("b")), 1),
		"no newline":   strings.TrimSuffix(string(data), "\n"),
		"extra line":   string(data) + "x\n",
		"version":      strings.Replace(string(data), "v1", "v3", 1),
		"body no size": strings.Replace(string(data), sum("b")+" 1", sum("b"), 1),
	}
	for name, d := range bad {
		if _, err := ParseLeaf([]byte(d)); err == nil {
			t.Errorf("ParseLeaf(%s): got nil error, want one", name)
		}
	}
}

func FuzzParseLeaf(f *testing.F) {
	r := response(3)
	r.Seq = 4
	seed, _ := LeafData(r)
	f.Add(seed)
	f.Add([]byte("telltale-leaf/v1\nseq 1\ncapture 1\nkind denied\nmeta " + sum("") + "\nhead -\nbody -\nstored -\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLeaf(data)
		if err != nil {
			return
		}
		if got := l.Encode(); !bytes.Equal(got, data) {
			t.Errorf("Encode(ParseLeaf(%q)) = %q", data, got)
		}
	})
}
