package evidence

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

func TestCheckpoint_BodyRoundTripAndRejects(t *testing.T) {
	c := Checkpoint{Origin: "telltale/host", Size: 42, Root: tlog.RecordHash([]byte("x")),
		Time: time.Date(2026, 4, 15, 10, 0, 0, 5, time.UTC)}
	body := string(c.Body())
	want := "telltale/host\n42\n" + c.Root.String() + "\ntime 2026-04-15T10:00:00.000000005Z\n"
	if body != want {
		t.Fatalf("Body: got %q, want %q", body, want)
	}
	got, err := ParseCheckpoint(body)
	if err != nil || got != c {
		t.Fatalf("ParseCheckpoint: got %+v, %v; want %+v", got, err, c)
	}
	for _, bad := range []string{
		strings.Replace(body, "42", "042", 1),
		strings.Replace(body, "42", "-1", 1),
		strings.Replace(body, "telltale/host", "telltale host", 1),
		strings.Replace(body, "time ", "when ", 1),
		strings.Replace(body, ".000000005Z", "Z", 1),
		strings.TrimSuffix(body, "\n"),
		body + "extra\n",
		strings.Replace(body, c.Root.String(), c.Root.String()[:40], 1),
	} {
		if _, err := ParseCheckpoint(bad); err == nil {
			t.Errorf("ParseCheckpoint(%q): got nil error", bad)
		}
	}
}

func TestCheckpoint_SignOpenWrongKey(t *testing.T) {
	k, other := newTestKey(t, "telltale/a"), newTestKey(t, "telltale/b")
	c := Checkpoint{Origin: "telltale/a", Size: 1, Root: tlog.RecordHash(nil), Time: time.Unix(0, 0)}
	msg, err := Sign(c, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Open(msg, k.verifier(t)); err != nil || got.Size != 1 {
		t.Fatalf("Open: %+v %v", got, err)
	}
	if _, err := Open(msg, other.verifier(t)); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Open with another key: got %v, want ErrWrongKey", err)
	}
	if _, err := Sign(Checkpoint{Origin: "telltale/b"}, k.signer); err == nil {
		t.Error("Sign with an origin that is not the key's name: got nil error")
	}
}

func TestSignTree_EmptyLogAndNoGrowth(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/t")
	if _, _, err := SignTree(st, k.signer, time.Now()); !errors.Is(err, ErrEmptyLog) {
		t.Fatalf("empty log: got %v, want ErrEmptyLog", err)
	}
	appendRecord(t, st, request("las.cloud.com", "GET", "https://las.cloud.com/"), nil)
	first, signed, err := SignTree(st, k.signer, time.Now())
	if err != nil || !signed || first.Size != 2 || first.Index != 1 { // the record and the index record
		t.Fatalf("first: got %+v signed %v %v", first, signed, err)
	}
	again, signed, err := SignTree(st, k.signer, time.Now())
	if err != nil || signed || again.Index != 1 {
		t.Errorf("no growth: got %+v signed %v %v, want the same checkpoint unsigned", again, signed, err)
	}
}

// TestVerify_ConsistentAcrossRestarts signs checkpoints across reopens of
// the store, then checks that a checkpoint of a rewritten log is caught.
func TestVerify_ConsistentAcrossRestarts(t *testing.T) {
	dir, k := t.TempDir(), newTestKey(t, "telltale/r")
	for round := range 4 {
		st, err := store.Open(dir, storeOptions())
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for i := range 5 + round {
			exchange(t, st, round*100+i)
		}
		signTree(t, st, k)
		st.Close()
	}
	st := mustOpen(t, dir, store.Options{ReadOnly: true})
	rep, err := Verify(st, VerifyOptions{Verifier: k.verifier(t)})
	if err != nil || !rep.OK() || rep.Checkpoints != 4 || rep.Latest.Size != rep.Size {
		t.Fatalf("after restarts: %+v %v failures %v", rep, err, findingStrings(rep.Failures))
	}
	st.Close()

	// A forked log: same key, same sizes, other records. Its checkpoint,
	// slipped into the first store, is neither its root nor consistent.
	fork := mustOpen(t, t.TempDir(), storeOptions())
	for i := range 27 {
		exchange(t, fork, 1000+i)
	}
	appendRecord(t, fork, request("las.cloud.com", "GET", "https://las.cloud.com/fork"), nil)
	forked, _, err := SignTree(fork, k.signer, time.Date(2026, 4, 15, 11, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	w := mustOpen(t, dir, storeOptions())
	if _, err := w.AppendCheckpoint(forked.Size, forked.Note); err != nil {
		t.Fatal(err)
	}
	w.Close()
	st = mustOpen(t, dir, store.Options{ReadOnly: true})
	rep, err = Verify(st, VerifyOptions{Verifier: k.verifier(t)})
	if err != nil {
		t.Fatal(err)
	}
	// It signs the size of checkpoint 4 (56 records, the index record
	// last) with other text: two statements of one tree.
	if got := findingStrings(rep.Failures); len(got) != 1 || !strings.HasPrefix(got[0], "checkpoint 5: FORKED: two checkpoints of tree size 56 differ") {
		t.Errorf("forked checkpoint: got %q, want checkpoint 5 FORKED against checkpoint 4", got)
	}
}

func TestFingerprint_KeyWithPlusInBase64(t *testing.T) {
	k := newPlusKey(t, "telltale/p")
	raw, err := base64.StdEncoding.DecodeString(strings.SplitN(k.vkey, "+", 3)[2])
	if err != nil || len(raw) != 33 {
		t.Fatalf("key bytes: %d, %v", len(raw), err)
	}
	sum := sha256.Sum256(raw)
	if got, want := Fingerprint(k.vkey), "sha256:"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Fingerprint: got %q, want %q", got, want)
	}
}
