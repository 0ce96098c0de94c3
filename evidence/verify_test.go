package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

func TestCompactTree_MatchesTlog(t *testing.T) {
	stored := map[int64]tlog.Hash{}
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	var ct compactTree
	for n := int64(0); n < 300; n++ {
		want, err := tlog.TreeHash(n, r)
		if err != nil {
			t.Fatal(err)
		}
		if got := ct.root(); got != want {
			t.Fatalf("root of %d leaves: got %v, want %v", n, got, want)
		}
		leaf := []byte(fmt.Sprintf("leaf %d", n))
		hs, err := tlog.StoredHashes(n, leaf, r)
		if err != nil {
			t.Fatal(err)
		}
		got := ct.push(tlog.RecordHash(leaf))
		if len(got) != len(hs) {
			t.Fatalf("leaf %d: got %d stored hashes, want %d", n, len(got), len(hs))
		}
		for i := range hs {
			if got[i] != hs[i] {
				t.Fatalf("leaf %d: stored hash %d differs", n, i)
			}
			stored[tlog.StoredHashIndex(0, n)+int64(i)] = hs[i]
		}
	}
}

func TestVerify_BigStoreIsClean(t *testing.T) {
	dir, k := bigFixture(t)
	st := mustOpen(t, dir, store.Options{ReadOnly: true})
	start := time.Now()
	rep, err := Verify(st, VerifyOptions{Verifier: k.verifier(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("verified %d records, %d bodies, %d checkpoints in %v", rep.Records, rep.Bodies, rep.Checkpoints, time.Since(start))
	if !rep.OK() {
		t.Fatalf("failures: %v", findingStrings(rep.Failures))
	}
	want, _ := st.TreeHash(rep.Size)
	const indexRecords = 3 // one per checkpoint
	if rep.Size != 2*fixtureExchanges+7+indexRecords || rep.Records != rep.Size || rep.Root != want {
		t.Errorf("got size %d, records %d, root %v; want %d, %d, %v", rep.Size, rep.Records, rep.Root, 2*fixtureExchanges+7+indexRecords, rep.Size, want)
	}
	if rep.Checkpoints != 3 || rep.Latest == nil || rep.Latest.Size != rep.Size {
		t.Errorf("checkpoints: got %d, latest %+v; want 3, the latest covering all", rep.Checkpoints, rep.Latest)
	}
	if len(rep.Notes) != 0 {
		t.Errorf("notes: got %v, want none", findingStrings(rep.Notes))
	}
}

// small is a store of a few captures whose every record a test can name.
type small struct {
	dir  string
	key  testKey
	seqs map[string]uint64 // what -> Seq
}

// newSmall makes: capture 1 (request 1 with an inline body, response 2
// with a blob body), capture 3 (request 3, response 4), a tunnel 5, and
// two checkpoints (at 2 and 5).
func newSmall(t *testing.T) *small {
	t.Helper()
	s := &small{dir: t.TempDir(), key: newTestKey(t, "telltale/test"), seqs: map[string]uint64{}}
	st, err := store.Open(s.dir, storeOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s.seqs["req1"] = appendRecord(t, st, request("las.cloud.com", "POST", "https://las.cloud.com/a",
		"Content-Type", "application/json", "X-Id", "alpha"), []byte(`{"inline":"body one"}`))
	s.seqs["resp2"] = appendRecord(t, st, response(1, 200, "Content-Type", "text/plain"), bytes.Repeat([]byte("blob "), 400))
	signTreeV2(t, st, s.key) // as an older Telltale did: record seqs stay 1-5
	s.seqs["req3"] = appendRecord(t, st, request("cis.citrix.com", "POST", "https://cis.citrix.com/b"), []byte(`{"inline":"body three"}`))
	s.seqs["resp4"] = appendRecord(t, st, response(s.seqs["req3"], 204), nil)
	s.seqs["tunnel5"] = appendRecord(t, st, &store.Record{Kind: store.KindTunnel, Client: "127.0.0.1:1", Host: "example.org",
		Port: "443", Head: &store.Head{Method: "CONNECT", URL: "example.org:443"}}, nil)
	signTree(t, st, s.key)
	return s
}

func (s *small) verify(t *testing.T) *Report {
	t.Helper()
	st := mustOpen(t, s.dir, store.Options{ReadOnly: true})
	rep, err := Verify(st, VerifyOptions{Verifier: s.key.verifier(t)})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// edit changes the closed store's database directly.
func (s *small) edit(t *testing.T, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(s.dir, store.DBFile), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func key(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// flipIn changes one byte of a bucket value: the first byte after the
// given marker, to the next letter.
func flipIn(t *testing.T, tx *bolt.Tx, bucket string, k []byte, marker string) {
	t.Helper()
	v := bytes.Clone(tx.Bucket([]byte(bucket)).Get(k))
	i := bytes.Index(v, []byte(marker))
	if i < 0 {
		t.Fatalf("%s/%x: no %q in %q", bucket, k, marker, v)
	}
	v[i+len(marker)]++
	if err := tx.Bucket([]byte(bucket)).Put(k, v); err != nil {
		t.Fatal(err)
	}
}

func sumHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestVerify_CleanSmallStore(t *testing.T) {
	s := newSmall(t)
	rep := s.verify(t)
	if !rep.OK() || rep.Size != 6 || rep.Checkpoints != 2 || rep.Bodies != 4 || len(rep.Notes) != 0 ||
		rep.Anchors.IndexLeaf != "the capture index is a leaf of the log from checkpoint 2 (tree size 6) on; checkpoints 1-1 predate the index leaf" {
		t.Fatalf("got %+v, failures %v, notes %v", rep, findingStrings(rep.Failures), findingStrings(rep.Notes))
	}
}

// TestVerify_Tamper flips one byte in each kind of part and checks that
// verify names exactly what changed.
func TestVerify_Tamper(t *testing.T) {
	const edited = "does not match its logged leaf hash (the record was edited after it was logged)"
	blobKey := sumHex(bytes.Repeat([]byte("blob "), 400))
	inlineKey := sumHex([]byte(`{"inline":"body three"}`))
	cases := []struct {
		name string
		do   func(t *testing.T, s *small)
		want func(s *small) []string
	}{
		{"body blob", func(t *testing.T, s *small) {
			path := filepath.Join(s.dir, store.BlobsDir, blobKey[:2], blobKey)
			b, _ := os.ReadFile(path)
			b[100]++
			os.WriteFile(path, b, 0o600)
			b[100]--
		}, func(s *small) []string {
			return []string{"capture 1, record 2: response body: stored bytes hash to " +
				sumHex(append(append(bytes.Repeat([]byte("blob "), 20), 'c'), bytes.Repeat([]byte("blob "), 400)[101:]...)) +
				", the log says " + blobKey + " (the body was changed)"}
		}},
		{"inline body", func(t *testing.T, s *small) {
			s.edit(t, func(tx *bolt.Tx) error { flipIn(t, tx, "bodies", []byte(inlineKey), `"body `); return nil })
		}, func(s *small) []string {
			return []string{"capture 3, record 3: request body: stored bytes hash to " + sumHex([]byte(`{"inline":"body uhree"}`)) +
				", the log says " + inlineKey + " (the body was changed)"}
		}},
		{"record head", func(t *testing.T, s *small) {
			s.edit(t, func(tx *bolt.Tx) error { flipIn(t, tx, "records", key(1), `"value":"`); return nil })
		}, func(s *small) []string { return []string{"capture 1, record 1: " + edited} }},
		{"record meta", func(t *testing.T, s *small) {
			s.edit(t, func(tx *bolt.Tx) error { flipIn(t, tx, "records", key(3), `"client":"`); return nil })
		}, func(s *small) []string { return []string{"capture 3, record 3: " + edited} }},
		{"deleted record", func(t *testing.T, s *small) {
			s.edit(t, func(tx *bolt.Tx) error { return tx.Bucket([]byte("records")).Delete(key(4)) })
		}, func(s *small) []string { return []string{"capture 3, record 4: record missing from the log (deleted)"} }},
		{"reordered records", func(t *testing.T, s *small) {
			s.edit(t, func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("records"))
				r3, r4 := bytes.Clone(b.Get(key(3))), bytes.Clone(b.Get(key(4)))
				b.Put(key(3), r4)
				return b.Put(key(4), r3)
			})
		}, func(s *small) []string {
			return []string{"capture 3, record 3: stored at position 3 but is record 4 (records reordered or renumbered)",
				"capture 3, record 4: stored at position 4 but is record 3 (records reordered or renumbered)"}
		}},
		{"checkpoint", func(t *testing.T, s *small) {
			s.edit(t, func(tx *bolt.Tx) error { flipIn(t, tx, "checkpoints", key(1), "time 2026-"); return nil })
		}, func(s *small) []string {
			return []string{fmt.Sprintf("checkpoint 1: signature by telltale/test+%08x does not verify: bad signature", s.key.signer.KeyHash())}
		}},
		{"tree hash", func(t *testing.T, s *small) {
			s.edit(t, func(tx *bolt.Tx) error {
				v := bytes.Clone(tx.Bucket([]byte("hashes")).Get(key(2))) // level 1, records 1-2
				v[0]++
				return tx.Bucket([]byte("hashes")).Put(key(2), v)
			})
		}, func(s *small) []string {
			return []string{"stored tree hash 2 (level 1, records 1-2) does not match the records (the hashes were edited)"}
		}},
		{"tree hash in a consistency proof", func(t *testing.T, s *small) {
			s.edit(t, func(tx *bolt.Tx) error {
				v := bytes.Clone(tx.Bucket([]byte("hashes")).Get(key(5))) // level 1, records 3-4
				v[0]++
				return tx.Bucket([]byte("hashes")).Put(key(5), v)
			})
		}, func(s *small) []string {
			return []string{"stored tree hash 5 (level 1, records 3-4) does not match the records (the hashes were edited)",
				"checkpoint 1: not consistent with checkpoint 2 (tree size 6): invalid transparency proof"}
		}},
		{"time index", func(t *testing.T, s *small) {
			s.edit(t, func(tx *bolt.Tx) error {
				c := tx.Bucket([]byte("by_time")).Cursor()
				k, _ := c.First()
				return tx.Bucket([]byte("by_time")).Delete(bytes.Clone(k))
			})
		}, func(s *small) []string { return []string{"capture 1, record 1: missing from the time index"} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSmall(t)
			tc.do(t, s)
			rep := s.verify(t)
			wantFindings(t, rep.Failures, tc.want(s)...)
		})
	}
}

func TestVerify_PrunedBodyIsANoteNotAFailure(t *testing.T) {
	s := newSmall(t)
	blobKey := sumHex(bytes.Repeat([]byte("blob "), 400))
	s.edit(t, func(tx *bolt.Tx) error {
		var r store.Record
		json.Unmarshal(tx.Bucket([]byte("records")).Get(key(2)), &r)
		r.Body.Pruned = true
		b, _ := json.Marshal(&r)
		return tx.Bucket([]byte("records")).Put(key(2), b)
	})
	os.Remove(filepath.Join(s.dir, store.BlobsDir, blobKey[:2], blobKey))
	rep := s.verify(t)
	wantFindings(t, rep.Failures)
	wantFindings(t, rep.Notes, "capture 1, record 2: response body pruned (its SHA-256 "+blobKey+" stays in the log)")
}

// TestVerify_CrashLeftovers: what a crash in the middle of an append
// leaves (a blob renamed into place whose record never committed, a body
// still spooling in tmp) is not part of the log, and verify passes.
func TestVerify_CrashLeftovers(t *testing.T) {
	s := newSmall(t)
	orphan := bytes.Repeat([]byte("never committed "), 100)
	key := sumHex(orphan)
	os.MkdirAll(filepath.Join(s.dir, store.BlobsDir, key[:2]), 0o700)
	os.WriteFile(filepath.Join(s.dir, store.BlobsDir, key[:2], key), orphan, 0o600)
	os.WriteFile(filepath.Join(s.dir, store.TmpDir, "body-123"), []byte("half a body"), 0o600)
	rep := s.verify(t)
	wantFindings(t, rep.Failures)
	if rep.Size != 6 || rep.Bodies != 4 { // the index record and its text too
		t.Errorf("got size %d, %d bodies; want 6 and 4", rep.Size, rep.Bodies)
	}
}

// TestVerify_LiveStoreWhileAppending: verifying the store serve holds, as
// the review UI does, reports nothing while appends go on.
func TestVerify_LiveStoreWhileAppending(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/live")
	for i := range 50 {
		exchange(t, st, i)
	}
	signTree(t, st, k)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 100; ; i++ {
			select {
			case <-stop:
				return
			default:
				exchange(t, st, i)
			}
		}
	}()
	for range 5 {
		rep, err := Verify(st, VerifyOptions{Verifier: k.verifier(t)})
		if err != nil {
			t.Fatal(err)
		}
		wantFindings(t, rep.Failures)
	}
	close(stop)
	<-done
}

// TestVerifyAndExport_AfterRetentionPrunes: bodies deleted by the store's
// retention are "pruned" notes for verify and withheld parts of a bundle
// that still verifies.
func TestVerifyAndExport_AfterRetentionPrunes(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/prune")
	for i := range 10 {
		exchange(t, st, i)
	}
	signTree(t, st, k)
	res, err := st.Prune(t.Context(), store.Retention{MaxAge: time.Nanosecond})
	if err != nil || res.Pruned != 20 {
		t.Fatalf("Prune: %+v, %v; want 20 bodies pruned", res, err)
	}
	rep, err := Verify(st, VerifyOptions{Verifier: k.verifier(t)})
	if err != nil {
		t.Fatal(err)
	}
	wantFindings(t, rep.Failures)
	if len(rep.Notes) != 20 || !strings.Contains(rep.Notes[0].String(), "body pruned (its SHA-256 ") {
		t.Errorf("notes: got %v, want 20 pruned bodies", findingStrings(rep.Notes))
	}
	b := export(t, st, k, Selection{})
	brep := verifyBundle(t, b, k.vkey)
	if !brep.OK() || len(brep.Withheld) != 20 || brep.Withheld[0].Reason != ReasonPruned || brep.Bodies != 0 {
		t.Errorf("bundle: ok %v, withheld %d, bodies %d, failures %v", brep.OK(), len(brep.Withheld), brep.Bodies, findingStrings(brep.Failures))
	}
}
