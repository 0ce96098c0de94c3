package evidence

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

func TestListRoot_IsTheRFC6962TreeHash(t *testing.T) {
	for n := 1; n <= 17; n++ {
		var seqs []uint64
		var times []int64
		leaves := map[int64]tlog.Hash{}
		for i := range n {
			seqs, times = append(seqs, uint64(3*i+1)), append(times, int64(1000*i))
			sh, err := tlog.StoredHashesForRecordHash(int64(i), listLeaf(seqs[i], times[i]), hashMap(leaves))
			if err != nil {
				t.Fatal(err)
			}
			for j, h := range sh {
				leaves[tlog.StoredHashIndex(0, int64(i))+int64(j)] = h
			}
		}
		want, err := tlog.TreeHash(int64(n), hashMap(leaves))
		if err != nil || ListRoot(seqs, times) != want {
			t.Errorf("%d captures: ListRoot %s, tlog.TreeHash %s %v", n, ListRoot(seqs, times), want, err)
		}
	}
}

func TestParseIndexText_OnlyTheCanonicalForm(t *testing.T) {
	x := NewIndex()
	x.Add("b.example", 1, 10)
	x.Add("a.example", 2, 20)
	x.AddEndpoint("POST a.example/u", 2, 20)
	text := x.Text(2)
	got, err := ParseIndexText(text)
	if err != nil || got.Size != 2 || len(got.Hosts) != 2 || got.Endpoints["POST a.example/u"].Count != 1 || string(got.encode()) != string(text) {
		t.Fatalf("ParseIndexText(%q) = %+v, %v", text, got, err)
	}
	lines := strings.SplitAfter(string(text), "\n")
	for _, bad := range []string{
		strings.Replace(string(text), "size 2", "size 02", 1),
		lines[0] + lines[1] + lines[3] + lines[2] + strings.Join(lines[4:], ""), // hosts out of order
		strings.Replace(string(text), "host 1 ", "host 0 ", 1),
		string(text) + lines[2],
		strings.TrimSuffix(string(text), "\n"),
	} {
		if _, err := ParseIndexText([]byte(bad)); err == nil {
			t.Errorf("ParseIndexText accepted %q", bad)
		}
	}
}

// TestBundle_KeyHolderDropsACaptureFromAnEndpointBundle: the key holder
// leaves a capture out of an --endpoint bundle and rewrites all that the
// key lets them: the capture lines, HAR, summary, the index's list and
// the index record, the whole tree and every proof, the checkpoint and
// the manifest, all re-signed. The index record of the earlier checkpoint
// listed the capture, so the bundle fails; with that checkpoint and its
// index record taken out as well, the checkpoint the auditor kept
// (--earlier) fails it.
func TestBundle_KeyHolderDropsACaptureFromAnEndpointBundle(t *testing.T) {
	st, k := newEndpoints(t) // checkpoint 1 at 15 records, its index record last
	signTree(t, st, k)       // checkpoint 2 at 18
	cps := mustCheckpoints(t, st)
	kept := KeptCheckpoint{Name: "kept.txt", Note: cps[0].Note}

	names, files := unzip(t, export(t, st, k, Selection{Endpoint: uploadEndpoint}))
	if rep := verifyBundle(t, resign(t, k, names, maps.Clone(files)), k.vkey); !rep.OK() ||
		!strings.HasPrefix(rep.Anchors.IndexLeaf, "the capture index is a leaf of the log") {
		t.Fatalf("genuine: %v, index leaf %q", findingStrings(rep.Failures), rep.Anchors.IndexLeaf)
	}
	var ci CaptureIndex
	if err := json.Unmarshal(files[FileIndex], &ci); err != nil || len(ci.Records) != 2 {
		t.Fatalf("capture-index.json: %v, %d index records, want 2", err, len(ci.Records))
	}
	dropped := ci.Endpoints[slices.IndexFunc(ci.Endpoints, func(e IndexedEndpoint) bool { return e.Endpoint == uploadEndpoint })].Seqs[0]
	forged := forgeWithout(t, st, k, names, files, dropped)

	rep := verifyBundle(t, forged.zip(t), k.vkey)
	hasFinding(t, rep.Failures, fmt.Sprintf(`capture-index.json: index record 15: the index of the first 14 records lists other captures `+
		`of endpoint %q than the newer one begins with: captures were dropped or changed`, uploadEndpoint))
	rep = verifyKept(t, forged.zip(t), k, kept)
	if rep.OK() {
		t.Error("forged, with --earlier: verifies")
	}

	// Without the earlier index record, the earlier checkpoint names it.
	forged.dropEarlier(t, false)
	rep = verifyBundle(t, forged.zip(t), k.vkey)
	hasFinding(t, rep.Failures, "checkpoints.jsonl line 1: tree size 15 ends with an index record (its index-leaf line), but capture-index.json does not carry record 15")

	// Without the earlier checkpoint too, only an anchor outside the key
	// holder shows it: here the checkpoint the auditor kept.
	forged.dropEarlier(t, true)
	rep = verifyKept(t, forged.zip(t), k, kept)
	hasFinding(t, rep.Failures, "kept.txt: cannot prove (size 15 not checkpointed in this bundle): only the log itself can (telltale verify --data DIR --earlier FILE)")

	// The genuine checkpoint of the forged bundle's size, kept.
	rep = verifyKept(t, forged.zip(t), k, KeptCheckpoint{Name: "kept2.txt", Note: cps[1].Note})
	if !strings.Contains(strings.Join(findingStrings(rep.Failures), "\n"), "kept2.txt: FORKED: it signs tree size 18") {
		t.Errorf("the genuine checkpoint of size 18 kept: %v, want FORKED", findingStrings(rep.Failures))
	}
}

// TestBundle_SameSizeCheckpointsDiffer: a checkpoint that re-signs the
// bundle's tree with another time fails against the genuine one, in the
// bundle or kept.
func TestBundle_SameSizeCheckpointsDiffer(t *testing.T) {
	st, k := newEndpoints(t)
	cp := mustCheckpoints(t, st)[0]
	ck, _ := Open(cp.Note, k.verifier(t))
	names, files := unzip(t, export(t, st, k, Selection{Endpoint: uploadEndpoint}))
	ck.Time = ck.Time.Add(-17 * 60e9)
	again, err := Sign(ck, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	rep := verifyKept(t, resign(t, k, names, maps.Clone(files)), k, KeptCheckpoint{Name: "resigned.txt", Note: again})
	hasFinding(t, rep.Failures, fmt.Sprintf("checkpoint.txt: %s: two checkpoints of tree size %d differ (%q and %q): the key signed two statements of one tree (the other is in resigned.txt)",
		ErrForked, ck.Size, ck.Body(), mustOpenBody(t, cp.Note, k)))
}

func mustOpenBody(t *testing.T, msg []byte, k testKey) []byte {
	ck, err := Open(msg, k.verifier(t))
	if err != nil {
		t.Fatal(err)
	}
	return ck.Body()
}

func verifyKept(t *testing.T, b []byte, k testKey, kept ...KeptCheckpoint) *BundleReport {
	t.Helper()
	rep, err := VerifyBundle(t.Context(), strings.NewReader(string(b)), int64(len(b)), BundleOptions{Keys: []string{k.vkey}, Earlier: kept})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// forgery is a bundle the key holder rewrote, and how to prove in it.
type forgery struct {
	k     testKey
	names []string
	files map[string][]byte
}

func (f *forgery) zip(t *testing.T) []byte {
	return resign(t, f.k, f.names, maps.Clone(f.files))
}

// forgeWithout rewrites an --endpoint bundle without capture seq, as the
// key holder can: its lines, HAR and summary from a bundle of the other
// captures, the index's list, the index record, the tree with that
// record's new leaf, every proof, the checkpoint and the manifest.
func forgeWithout(t *testing.T, st *store.Store, k testKey, names []string, files map[string][]byte, seq uint64) *forgery {
	t.Helper()
	var ci CaptureIndex
	json.Unmarshal(files[FileIndex], &ci)
	var ids []string
	for i, e := range ci.Endpoints {
		if e.Endpoint != uploadEndpoint {
			continue
		}
		at := slices.Index(e.Seqs, seq)
		e.Seqs, e.Times = slices.Delete(slices.Clone(e.Seqs), at, at+1), slices.Delete(slices.Clone(e.Times), at, at+1)
		e.Count, e.Hash = e.Count-1, hexHash(ListRoot(e.Seqs, e.Times))
		ci.Endpoints[i] = e
		for _, s := range e.Seqs {
			ids = append(ids, fmt.Sprint(s))
		}
	}
	_, other := unzip(t, export(t, st, k, Selection{IDs: ids}))
	out := map[string][]byte{}
	for n, b := range files {
		if !strings.HasPrefix(n, DirBodies) && !strings.HasPrefix(n, DirRedacted) {
			out[n] = b
		}
	}
	for n, b := range other {
		if strings.HasPrefix(n, DirBodies) || strings.HasPrefix(n, DirRedacted) || n == FileCaptures || n == FileHAR || n == FileSummary {
			out[n] = b
		}
	}

	// The index record with the forged text, and the tree it makes.
	text := IndexTextOf(ci.Indexed, hostLines(ci), endpointLines(ci))
	last := &ci.Records[len(ci.Records)-1]
	leaf, err := store.ParseLeaf([]byte(last.Leaf))
	if err != nil {
		t.Fatal(err)
	}
	leaf.BodySHA256, leaf.BodySize = sha256hex(text), int64(len(text))
	leaf.StoredSHA256, leaf.StoredSize = leaf.BodySHA256, leaf.BodySize
	last.Leaf, last.Text = string(leaf.Encode()), string(text)
	tree := forgeTree(t, st, ci.TreeSize, last.Seq-1, tlog.RecordHash(leaf.Encode()))
	root, err := tlog.TreeHash(int64(ci.TreeSize), tree)
	if err != nil {
		t.Fatal(err)
	}
	prove := func(index uint64) []tlog.Hash {
		p, err := tlog.ProveRecord(int64(ci.TreeSize), int64(index), tree)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for i := range ci.Records {
		ci.Records[i].Proof = prove(ci.Records[i].Seq - 1)
	}
	ci.Root = indexTextHash(text)
	out[FileIndex] = must(json.Marshal(ci))
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out[FileCaptures])), "\n") {
		var line Line
		json.Unmarshal([]byte(l), &line)
		for i := range line.Records {
			line.Records[i].Proof = prove(line.Records[i].LeafIndex)
		}
		lines = append(lines, string(must(json.Marshal(line))))
	}
	out[FileCaptures] = []byte(strings.Join(lines, "\n") + "\n")
	var cls []string
	for _, l := range strings.Split(strings.TrimSpace(string(out[FileCheckpoints])), "\n") {
		var cl CheckpointLine
		json.Unmarshal([]byte(l), &cl)
		ck, _ := Open([]byte(cl.Note), k.verifier(t))
		if cl.Proof, err = tlog.ProveTree(int64(ci.TreeSize), int64(ck.Size), tree); err != nil {
			t.Fatal(err)
		}
		cls = append(cls, string(must(json.Marshal(cl))))
	}
	out[FileCheckpoints] = []byte(strings.Join(cls, "\n") + "\n")

	ck, err := Open(files[FileCheckpoint], k.verifier(t))
	if err != nil {
		t.Fatal(err)
	}
	ck.Root, ck.IndexLeaf = root, &ci.Root
	if out[FileCheckpoint], err = Sign(ck, k.signer); err != nil {
		t.Fatal(err)
	}
	var m, om Manifest
	json.Unmarshal(files[FileManifest], &m)
	json.Unmarshal(other[FileManifest], &om)
	m.Checkpoint.RootHash, m.Captures, m.Records, m.Withheld = root, om.Captures, om.Records, om.Withheld
	f := &forgery{k: k, files: out}
	f.setManifest(t, m)
	return f
}

// setManifest writes m listing every file of the forgery.
func (f *forgery) setManifest(t *testing.T, m Manifest) {
	m.Files = nil
	f.names = nil
	for _, n := range slices.Sorted(maps.Keys(f.files)) {
		f.names = append(f.names, n)
		if n != FileManifest && n != FileManifestSig {
			m.Files = append(m.Files, FileInfo{Name: n})
		}
	}
	f.files[FileManifest] = must(json.Marshal(m))
}

// dropEarlier takes the earlier index record out, and with checkpoint
// its checkpoint too.
func (f *forgery) dropEarlier(t *testing.T, checkpoint bool) {
	var ci CaptureIndex
	json.Unmarshal(f.files[FileIndex], &ci)
	ci.Records = ci.Records[len(ci.Records)-1:]
	f.files[FileIndex] = must(json.Marshal(ci))
	if checkpoint {
		f.files[FileCheckpoints] = nil
	}
	var m Manifest
	json.Unmarshal(f.files[FileManifest], &m)
	m.Anchors = nil
	f.setManifest(t, m)
}

// forgeTree is the log's tree with leaf n's hash replaced by h.
func forgeTree(t *testing.T, st *store.Store, size, n uint64, h tlog.Hash) hashMap {
	t.Helper()
	tree := hashMap{}
	logged := st.HashReader()
	for i := range int64(size) {
		lh := h
		if uint64(i) != n {
			hs, err := logged.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
			if err != nil {
				t.Fatal(err)
			}
			lh = hs[0]
		}
		sh, err := tlog.StoredHashesForRecordHash(i, lh, tree)
		if err != nil {
			t.Fatal(err)
		}
		for j, x := range sh {
			tree[tlog.StoredHashIndex(0, i)+int64(j)] = x
		}
	}
	return tree
}

// hashMap is a tlog.HashReader over stored hashes in memory.
type hashMap map[int64]tlog.Hash

func (m hashMap) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		h, ok := m[x]
		if !ok {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = h
	}
	return out, nil
}
