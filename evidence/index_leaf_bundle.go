package evidence

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// IndexRecord is an index record of the log (index_leaf.go) in
// capture-index.json: its leaf, proven against the bundle's checkpoint,
// the meta the leaf's meta line hashes, and its body, the index text.
type IndexRecord struct {
	Seq   uint64      `json:"seq"`
	Leaf  string      `json:"leaf"`
	Proof []tlog.Hash `json:"proof"` // of leaf index Seq-1
	Meta  string      `json:"meta"`
	Text  string      `json:"text"`
}

// IndexLinesV3 are the index's lines with each list's Merkle root
// (IndexFormatV3) as Hash, sorted as Hosts and Endpoints are.
func (x *Index) IndexLinesV3() ([]IndexHost, []IndexEndpoint) {
	hosts, endpoints := x.Hosts(), x.Endpoints()
	for i := range hosts {
		hosts[i].Hash = hexHash(x.hosts[hosts[i].Host].tree.root())
	}
	for i := range endpoints {
		endpoints[i].Hash = hexHash(x.endpoints[endpoints[i].Endpoint].tree.root())
	}
	return hosts, endpoints
}

// indexLeafIndex is the capture index of a checkpoint that ends with an
// index record: the lines of the text that record holds, and every index
// record of the log up to the checkpoint, so that a verifier can check
// that each extends the one before.
func (x *exporter) indexLeafIndex(keep func(kind, key string) bool) (*CaptureIndex, *Index, error) {
	last, err := x.st.Record(x.ck.Size)
	if err != nil {
		return nil, nil, err
	}
	if last.Kind != store.KindIndex {
		return nil, nil, fmt.Errorf("checkpoint %d has an index-leaf line, but record %d is a %s: run `telltale verify`", x.cp.Index, x.ck.Size, last.Kind)
	}
	text, err := x.read(last.Body.SHA256)
	if err != nil {
		return nil, nil, err
	}
	t, err := ParseIndexText(text)
	if err != nil {
		return nil, nil, fmt.Errorf("record %d: %w: run `telltale verify`", x.ck.Size, err)
	}
	idx, err := IndexOf(x.st, t.Size, keep)
	if err != nil {
		return nil, nil, err
	}
	if string(idx.Text(t.Size)) != string(text) || indexTextHash(text) != *x.ck.IndexLeaf {
		return nil, nil, fmt.Errorf("index record %d does not match the store's records or checkpoint %d: run `telltale verify`", x.ck.Size, x.cp.Index)
	}
	ci := &CaptureIndex{Format: IndexFormatV3, TreeSize: x.ck.Size, Root: *x.ck.IndexLeaf, Indexed: t.Size}
	seqs := idx.records
	err = x.st.Records(t.Size+1, func(r *store.Record) error {
		if r.Seq > x.ck.Size {
			return errIndexed
		}
		if r.Kind == store.KindIndex {
			seqs = append(seqs, r.Seq)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errIndexed) {
		return nil, nil, err
	}
	for _, seq := range seqs {
		rec, err := x.indexRecord(seq)
		if err != nil {
			return nil, nil, err
		}
		ci.Records = append(ci.Records, rec)
	}
	return ci, idx, nil
}

// indexRecord proves one index record.
func (x *exporter) indexRecord(seq uint64) (IndexRecord, error) {
	r, err := x.st.Record(seq)
	if err != nil {
		return IndexRecord{}, err
	}
	data, err := store.LeafData(r)
	if err != nil {
		return IndexRecord{}, err
	}
	text, err := x.read(r.Body.SHA256)
	if err != nil {
		return IndexRecord{}, err
	}
	meta := store.MetaOf(r)
	mb, err := json.Marshal(&meta)
	if err != nil {
		return IndexRecord{}, err
	}
	rec := IndexRecord{Seq: seq, Leaf: string(data), Meta: string(mb), Text: string(text)}
	if rec.Proof, err = x.prove(seq-1, data); err != nil {
		return IndexRecord{}, err
	}
	return rec, nil
}

// indexRecords checks capture-index.json's index records: each a proven
// index leaf whose text hashes to its body line, in seq order, each
// indexing more of the log than the one before, the last the checkpoint's
// own, whose text is the one the lines give. It returns their texts.
func (v *bundleVerifier) indexRecords(ci *CaptureIndex, text []byte) ([]IndexText, bool) {
	n := len(ci.Records)
	if n == 0 || ci.Records[n-1].Seq != ci.TreeSize || ci.Records[n-1].Text != string(text) {
		v.fail(FileIndex, "does not carry the index record the checkpoint ends with (record %d), with the text its lines give", ci.TreeSize)
		return nil, false
	}
	var texts []IndexText
	for i, rec := range ci.Records {
		t, err := v.indexRecord(rec, ci)
		if err == nil && i > 0 && (rec.Seq <= ci.Records[i-1].Seq || t.Size < texts[i-1].Size) {
			err = fmt.Errorf("out of order: after record %d, which indexed %d records", ci.Records[i-1].Seq, texts[i-1].Size)
		}
		if err != nil {
			v.fail(FileIndex, "index record %d: %v", rec.Seq, err)
			return nil, false
		}
		texts = append(texts, t)
		v.leaves[rec.Seq-1]++
		if v.indexLeaves == nil {
			v.indexLeaves = map[uint64]tlog.Hash{}
		}
		v.indexLeaves[rec.Seq] = indexTextHash([]byte(rec.Text))
	}
	return texts, true
}

// indexRecord checks one index record against its leaf and the bundle's
// checkpoint.
func (v *bundleVerifier) indexRecord(rec IndexRecord, ci *CaptureIndex) (IndexText, error) {
	leaf, err := store.ParseLeaf([]byte(rec.Leaf))
	if err != nil {
		return IndexText{}, err
	}
	text := []byte(rec.Text)
	if leaf.Kind != store.KindIndex || leaf.Seq != rec.Seq || leaf.Capture != rec.Seq || leaf.Head != "" ||
		leaf.BodySHA256 != sha256hex(text) || leaf.BodySize != int64(len(text)) || leaf.StoredSHA256 != leaf.BodySHA256 {
		return IndexText{}, fmt.Errorf("its leaf is not that of an index record with this text")
	}
	var r store.Record
	if err := strict([]byte(rec.Meta), &r); err != nil || sha256hex([]byte(rec.Meta)) != leaf.Meta || r.Seq != rec.Seq || r.Kind != store.KindIndex {
		return IndexText{}, fmt.Errorf("its meta is not the one its leaf hashes, of an index record (%v)", err)
	}
	if rec.Seq == 0 || rec.Seq > ci.TreeSize {
		return IndexText{}, fmt.Errorf("outside the checkpoint's tree of %d records", ci.TreeSize)
	}
	if err := tlog.CheckRecord(rec.Proof, int64(ci.TreeSize), v.ck.Root, int64(rec.Seq-1), tlog.RecordHash([]byte(rec.Leaf))); err != nil {
		return IndexText{}, fmt.Errorf("inclusion proof: %v", err)
	}
	t, err := ParseIndexText(text)
	if err != nil {
		return IndexText{}, err
	}
	if t.Size >= rec.Seq {
		return IndexText{}, fmt.Errorf("indexes %d records, not only those before it", t.Size)
	}
	return t, nil
}

// extended checks that the full lists capture-index.json carries extend
// the same lists of every earlier index record: a capture an earlier
// index listed is still listed, in its place.
func (v *bundleVerifier) extended(ci *CaptureIndex, texts []IndexText) bool {
	check := func(kind, key string, seqs []uint64, times []int64) bool {
		for i, t := range texts[:len(texts)-1] {
			if err := t.extendedBy(kind, key, seqs, times); err != nil {
				v.fail(FileIndex, "index record %d: %v", ci.Records[i].Seq, err)
				return false
			}
		}
		return true
	}
	for _, h := range ci.Hosts {
		if h.Seqs != nil && !check(kindHost, h.Host, h.Seqs, h.Times) {
			return false
		}
	}
	for _, e := range ci.Endpoints {
		if e.Seqs != nil && !check(kindEndpoint, e.Endpoint, e.Seqs, e.Times) {
			return false
		}
	}
	return true
}

// indexLeafCheckpoints checks what a bundle's checkpoints say of index
// leaves: each with an index-leaf line names an index record the bundle
// proves, none after one with such a line lacks it, and no two of one
// tree size differ. cks are the earlier checkpoints (checkpoints.jsonl)
// and the kept ones, with where each came from.
func (v *bundleVerifier) indexLeafCheckpoints(cks []namedCheckpoint) {
	all := append(slices.Clone(cks), namedCheckpoint{FileCheckpoint, v.ck})
	slices.SortStableFunc(all, func(a, b namedCheckpoint) int { return cmp.Compare(a.ck.Size, b.ck.Size) })
	var leafFrom *namedCheckpoint
	for i, c := range all {
		if i > 0 {
			if err := sameSize(all[i-1].ck, c.ck); err != nil {
				v.fail(c.name, "%v (the other is in %s)", err, all[i-1].name)
			}
		}
		if c.ck.IndexLeaf == nil {
			if leafFrom != nil && c.ck.Size > leafFrom.ck.Size {
				v.fail(c.name, "tree size %d is signed without an index leaf, but %s (tree size %d) has one: the capture index was left out of the log",
					c.ck.Size, leafFrom.name, leafFrom.ck.Size)
			}
			continue
		}
		if leafFrom == nil {
			leafFrom = &all[i]
		}
		got, ok := v.indexLeaves[c.ck.Size]
		switch {
		case !ok:
			v.fail(c.name, "tree size %d ends with an index record (its index-leaf line), but %s does not carry record %d", c.ck.Size, FileIndex, c.ck.Size)
		case got != *c.ck.IndexLeaf:
			v.fail(c.name, "its index-leaf line %s is not the hash %s of index record %d", *c.ck.IndexLeaf, got, c.ck.Size)
		}
	}
	if leafFrom == nil {
		v.rep.Anchors.IndexLeaf = "this bundle predates the index leaf (an older Telltale): its capture index, if any, is signed in the checkpoint's index line only, not logged"
		return
	}
	v.rep.Anchors.IndexLeaf = fmt.Sprintf("the capture index is a leaf of the log, proven and extended by each index record since tree size %d (%s)",
		leafFrom.ck.Size, leafFrom.name)
}

// namedCheckpoint is a checkpoint whose signature verified, and where it
// came from.
type namedCheckpoint struct {
	name string
	ck   Checkpoint
}

// BundleFormatV4 is the format of a bundle whose checkpoint ends with an
// index record (index_leaf.go): capture-index.json carries the log's
// index records. Older verifiers refuse it rather than misread it.
const BundleFormatV4 = "telltale-bundle/v4"
