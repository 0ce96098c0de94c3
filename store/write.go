package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// txWriter appends records inside one batch transaction.
type txWriter struct {
	records, hashes, bodies, byTime, byHost, responses *bolt.Bucket
	size                                               uint64              // records so far, in this transaction
	fail                                               func(*Record) error // Options.FailRecord
}

var empty = []byte{}

func newTxWriter(tx *bolt.Tx) (*txWriter, error) {
	w := &txWriter{
		records:   tx.Bucket(bucketRecords),
		hashes:    tx.Bucket(bucketHashes),
		bodies:    tx.Bucket(bucketBodies),
		byTime:    tx.Bucket(bucketByTime),
		byHost:    tx.Bucket(bucketByHost),
		responses: tx.Bucket(bucketResponses),
	}
	if w.records == nil || w.hashes == nil {
		return nil, fmt.Errorf("store buckets missing")
	}
	// Keys only ever grow in these buckets: pack their pages full.
	w.records.FillPercent, w.hashes.FillPercent = 1, 1
	w.byTime.FillPercent, w.responses.FillPercent = 0.9, 0.9
	w.size = w.records.Sequence()
	return w, nil
}

// append writes one record with its tree hashes, indexes and inline body.
// A record the log must refuse sets p.err and writes nothing; only a
// database error fails the batch.
func (w *txWriter) append(p *pending) error {
	r := p.rec
	r.Seq = w.size + 1
	if r.Kind != KindResponse && r.Capture == 0 {
		r.Capture = r.Seq
	}
	value, leaf, err := w.encode(r, p.enc)
	if err == nil && w.fail != nil {
		err = w.fail(r)
	}
	if err != nil {
		r.Seq, r.Capture = 0, p.capture
		p.err = err
		return nil
	}
	if err := w.records.Put(seqKey(r.Seq), value); err != nil {
		return err
	}
	if err := w.putHashes(r.Seq-1, leaf); err != nil {
		return err
	}
	if err := w.putIndexes(r); err != nil {
		return err
	}
	for _, b := range []*inlineBody{p.stored, p.copy} {
		if b != nil {
			if err := w.putBody(b); err != nil {
				return err
			}
		}
	}
	w.size = r.Seq
	return nil
}

// finish records the new log size.
func (w *txWriter) finish() error {
	return w.records.SetSequence(w.size)
}

// encode checks r against the log and returns its stored value and leaf.
func (w *txWriter) encode(r *Record, enc *encoded) (value, leaf []byte, err error) {
	if r.Kind == KindResponse {
		if err := w.checkResponse(r); err != nil {
			return nil, nil, err
		}
	}
	if enc != nil {
		if value, leaf, ok := enc.finish(r); ok {
			return value, leaf, nil
		}
	}
	if r.Salts == nil { // a record written without Append: it gets a v2 leaf too
		if r.Salts, err = newSalts(r); err != nil {
			return nil, nil, err
		}
	}
	if value, err = json.Marshal(r); err != nil {
		return nil, nil, fmt.Errorf("encode record: %w", err)
	}
	if leaf, err = LeafData(r); err != nil {
		return nil, nil, err
	}
	return value, leaf, nil
}

// checkResponse makes sure a response completes an earlier request that
// has no response yet.
func (w *txWriter) checkResponse(r *Record) error {
	if r.Capture == 0 || r.Capture >= r.Seq {
		return fmt.Errorf("response to capture %d: %w", r.Capture, ErrInvalid)
	}
	if w.responses.Get(seqKey(r.Capture)) != nil {
		return fmt.Errorf("capture %d already has a response: %w", r.Capture, ErrInvalid)
	}
	var open struct{ Kind Kind }
	if err := json.Unmarshal(w.records.Get(seqKey(r.Capture)), &open); err != nil {
		return fmt.Errorf("response to capture %d: %w", r.Capture, err)
	}
	if open.Kind != KindRequest {
		return fmt.Errorf("response to %s record %d: %w", open.Kind, r.Capture, ErrInvalid)
	}
	return nil
}

// putHashes stores the tree hashes that leaf n adds (see tlog.StoredHashes).
func (w *txWriter) putHashes(n uint64, leaf []byte) error {
	hashes, err := tlog.StoredHashes(int64(n), leaf, bucketHashReader(w.hashes))
	if err != nil {
		return err
	}
	base := tlog.StoredHashIndex(0, int64(n))
	for i := range hashes {
		if err := w.hashes.Put(seqKey(uint64(base)+uint64(i)), hashes[i][:]); err != nil {
			return err
		}
	}
	return nil
}

func (w *txWriter) putIndexes(r *Record) error {
	if r.Kind == KindResponse {
		return w.responses.Put(seqKey(r.Capture), seqKey(r.Seq))
	}
	if err := w.byTime.Put(timeKey(r.Time, r.Seq), empty); err != nil {
		return err
	}
	if r.Host == "" {
		return nil
	}
	return w.byHost.Put(hostKey(r.Host, r.Time, r.Seq), empty)
}

// putBody stores a small body once: a key present is the same bytes.
func (w *txWriter) putBody(b *inlineBody) error {
	key := []byte(b.key)
	if k, _ := w.bodies.Cursor().Seek(key); string(k) == b.key {
		return nil
	}
	data := b.data
	if data == nil {
		data = empty
	}
	return w.bodies.Put(key, data)
}
