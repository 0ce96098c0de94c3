package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// fakeSealer seals bodies that contain "secret=" and replaces the value.
func fakeSealer(calls *int) Sealer {
	return func(h *Head, body []byte) *Sealing {
		*calls++
		_, v, ok := strings.Cut(string(body), "secret=")
		if !ok {
			return nil
		}
		return &Sealing{Copy: []byte(strings.Replace(string(body), v, "[REDACTED]", 1)), Form: CopyBody,
			Secrets: []Secret{{Path: "form:secret", Value: v}}}
	}
}

func TestStore_Append_SealsBodiesWithSecrets(t *testing.T) {
	calls := 0
	s := mustOpen(t, newTestDir(t), Options{Now: testClock(), Seal: fakeSealer(&calls), SealMax: 64})
	r := request("example.com", "/token")
	mustAppend(t, s, r, []byte("user=a&secret=4821"))
	plain := request("example.com", "/plain")
	mustAppend(t, s, plain, []byte("user=a"))
	big := request("example.com", "/big")
	mustAppend(t, s, big, []byte(strings.Repeat("x", 64)+"secret=1"))
	if calls != 2 || plain.Seal != nil || big.Seal != nil {
		t.Errorf("sealer calls %d, plain %+v, big %+v: want two calls and only the small body with a secret sealed", calls, plain.Seal, big.Seal)
	}
	got, err := s.Record(r.Seq)
	if err != nil || got.Seal == nil || len(got.Salts.Body) != SaltSize || len(got.Salts.Secrets) != SaltSize {
		t.Fatalf("sealed record: got %+v, %v", got, err)
	}
	if copy := mustRead(t, s, got.Seal.Copy); string(copy) != "user=a&secret=[REDACTED]" {
		t.Errorf("stored copy: got %q", copy)
	}
	// The seal text and its commitments, from their definition in doc.go.
	ns := func(s string) string { return fmt.Sprintf("%d:%s,", len(s), s) }
	h := func(salt []byte, s string) string {
		sum := sha256.Sum256(append(append([]byte{}, salt...), s...))
		return hex.EncodeToString(sum[:])
	}
	if c := h(got.Salts.Secrets, ns("form:secret")+ns("4821")); got.Seal.Secrets[0].Commitment != c {
		t.Errorf("secret commitment: got %s, want %s", got.Seal.Secrets[0].Commitment, c)
	}
	copySum := sha256.Sum256([]byte("user=a&secret=[REDACTED]"))
	text := fmt.Sprintf("telltale-seal/v2\nbody %s\ncopy %x 24 body\nsecret %s \"form:secret\"\n",
		h(got.Salts.Body, ns(sum("user=a&secret=4821"))+ns("18")), copySum, got.Seal.Secrets[0].Commitment)
	leaf, err := LeafData(got)
	if err != nil || !strings.HasSuffix(string(leaf), fmt.Sprintf("\nbody sealed %s\nstored sealed\n", sum(text))) {
		t.Errorf("leaf: got %q, %v, want the hash of %q", leaf, err, text)
	}
	if bytes.Contains(leaf, []byte(sum("user=a&secret=4821"))) || bytes.Contains(leaf, []byte(" 18\n")) {
		t.Errorf("leaf of a sealed body gives its hash or size: %q", leaf)
	}
	l, err := ParseLeaf(leaf)
	if err != nil || l.Sealed != sum(text) {
		t.Errorf("ParseLeaf: got %+v, %v", l, err)
	}
	if _, err := ParseLeaf(bytes.Replace(leaf, []byte("v2"), []byte("v1"), 1)); err == nil {
		t.Errorf("ParseLeaf: a sealed v1 leaf parses")
	}
}

// TestStore_Append_SealerAskedOncePerPlainBody: a body the Sealer found
// no secret in is not scanned again under the same Content-Type and
// Content-Encoding; another type, or a body with secrets, is, and every
// record of a body with secrets is sealed with salts of its own.
func TestStore_Append_SealerAskedOncePerPlainBody(t *testing.T) {
	calls := 0
	s := mustOpen(t, newTestDir(t), Options{Now: testClock(), Seal: fakeSealer(&calls), SealMax: 64})
	typed := func(ctype string) *Record {
		r := request("example.com", "/upload")
		r.Head.Headers = append(r.Head.Headers, Header{Name: "content-type", Value: ctype})
		return r
	}
	for range 3 {
		mustAppend(t, s, typed("application/json"), []byte(`{"CountUsedMax":42}`))
	}
	if calls != 1 {
		t.Errorf("sealer calls for one plain body appended three times: got %d, want 1", calls)
	}
	mustAppend(t, s, typed("text/plain"), []byte(`{"CountUsedMax":42}`))
	if calls != 2 {
		t.Errorf("sealer calls after the same body as another type: got %d, want 2", calls)
	}
	var salts [][]byte
	for range 2 {
		r := typed("application/x-www-form-urlencoded")
		mustAppend(t, s, r, []byte("user=a&secret=4821"))
		if r.Seal == nil {
			t.Fatalf("a body with a secret is not sealed")
		}
		salts = append(salts, r.Salts.Secrets)
	}
	if calls != 4 || bytes.Equal(salts[0], salts[1]) {
		t.Errorf("a body with secrets appended twice: %d sealer calls, salts %x: want 4 calls and salts of its own each", calls, salts)
	}
}
