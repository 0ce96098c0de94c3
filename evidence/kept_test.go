package evidence

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
)

// forkedLogs are two logs signed by one key: a has grown on from a
// checkpoint of 4 records and their index record; b is a second history
// of 4 records and theirs, its
// second exchange different, signed by the same key.
type forkedLogs struct {
	k             testKey
	a             *store.Store
	genuine, fork store.Checkpoint // both of tree size 5
}

func newForkedLogs(t *testing.T) *forkedLogs {
	f := &forkedLogs{k: newTestKey(t, "telltale/kept")}
	f.a = mustOpen(t, t.TempDir(), storeOptions())
	exchange(t, f.a, 1)
	exchange(t, f.a, 2)
	f.genuine = signTree(t, f.a, f.k)
	exchange(t, f.a, 3)
	signTree(t, f.a, f.k)
	exchange(t, f.a, 4)
	signTree(t, f.a, f.k)

	b := mustOpen(t, t.TempDir(), storeOptions())
	exchange(t, b, 1)
	exchange(t, b, 7)
	f.fork = signTree(t, b, f.k)
	if f.fork.Size != f.genuine.Size || bytes.Equal(f.fork.Note, f.genuine.Note) {
		t.Fatalf("fixture: checkpoints of size %d and %d", f.genuine.Size, f.fork.Size)
	}
	return f
}

// unstored signs a checkpoint of a's first size records that a never
// stored.
func (f *forkedLogs) unstored(t *testing.T, size uint64) []byte {
	root, err := f.a.TreeHash(size)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Sign(Checkpoint{Origin: "telltale/kept", Size: size, Root: root, Time: time.Date(2026, 4, 15, 9, 30, 0, 0, time.UTC)}, f.k.signer)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func forkMsg(t *testing.T, f *forkedLogs, name string) string {
	ck, err := Open(f.fork.Note, f.k.verifier(t))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := Open(f.genuine.Note, f.k.verifier(t))
	return fmt.Sprintf("%s: FORKED: it signs tree size 5 with root hash %s (signed %s), but the log has root hash %s at that size: "+
		"the key signed two different histories, so the log was rewritten after that checkpoint",
		name, ck.Root, ck.Time.UTC().Format(store.TimeFormat), g.Root)
}

// TestVerifyBundle_Earlier: a checkpoint kept elsewhere is proven
// extended by the bundle's, and one of another history signed by the same
// key is reported FORKED.
func TestVerifyBundle_Earlier(t *testing.T) {
	f := newForkedLogs(t)
	b := export(t, f.a, f.k, Selection{})
	check := func(kept ...KeptCheckpoint) *BundleReport {
		rep, err := VerifyBundle(context.Background(), bytes.NewReader(b), int64(len(b)),
			BundleOptions{Keys: []string{f.k.vkey}, Earlier: kept})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := check(KeptCheckpoint{"genuine.txt", f.genuine.Note}); !rep.OK() || rep.Kept != 1 {
		t.Errorf("the genuine earlier checkpoint: kept %d: %v", rep.Kept, findingStrings(rep.Failures))
	}
	rep := check(KeptCheckpoint{"forked.txt", f.fork.Note})
	wantFindings(t, rep.Failures, forkMsg(t, f, "forked.txt"))
	rep = check(KeptCheckpoint{"size2.txt", f.unstored(t, 2)})
	wantFindings(t, rep.Failures, "size2.txt: cannot prove (size 2 not checkpointed in this bundle): "+
		"only the log itself can (telltale verify --data DIR --earlier FILE)")
	other := newTestKey(t, "telltale/kept")
	byOther, _ := Sign(Checkpoint{Origin: "telltale/kept", Size: 4, Time: time.Now()}, other.signer)
	if rep := check(KeptCheckpoint{"other.txt", byOther}); rep.OK() {
		t.Error("a kept checkpoint signed by another key passed")
	}
}

// TestVerify_Earlier: the store proves a kept checkpoint of any size.
func TestVerify_Earlier(t *testing.T) {
	f := newForkedLogs(t)
	verify := func(kept ...KeptCheckpoint) *Report {
		rep, err := Verify(f.a, VerifyOptions{Verifier: f.k.verifier(t), Earlier: kept})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := verify(KeptCheckpoint{"genuine.txt", f.genuine.Note}, KeptCheckpoint{"size2.txt", f.unstored(t, 2)}); !rep.OK() || rep.Kept != 2 {
		t.Errorf("genuine kept checkpoints: kept %d: %v", rep.Kept, findingStrings(rep.Failures))
	}
	rep := verify(KeptCheckpoint{"forked.txt", f.fork.Note})
	wantFindings(t, rep.Failures, forkMsg(t, f, "forked.txt"))
	beyond, _ := Sign(Checkpoint{Origin: "telltale/kept", Size: 12, Time: time.Now().UTC()}, f.k.signer)
	rep = verify(KeptCheckpoint{"beyond.txt", beyond})
	wantFindings(t, rep.Failures, "beyond.txt: cannot prove: it signs tree size 12, but this log holds only 11 records "+
		"(records deleted from its end, or a checkpoint of another copy of the log)")
}
