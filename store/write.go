package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// txWriter applies WAL entries to bbolt inside one indexer transaction.
type txWriter struct {
	records, hashes, bodies, byTime, byHost, responses *bolt.Bucket
	size                                               uint64 // records so far, in this transaction
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

// apply writes one record with its tree hashes, indexes and inline body.
// Records arrive in Seq order, each the next leaf.
func (w *txWriter) apply(e *walEntry) error {
	if e.seq != w.size+1 {
		return fmt.Errorf("index record %d after %d: %w", e.seq, w.size, ErrCorrupt)
	}
	if err := w.records.Put(seqKey(e.seq), e.value); err != nil {
		return err
	}
	if err := w.putHashes(e.seq-1, e.leaf); err != nil {
		return err
	}
	if err := w.putIndexes(e); err != nil {
		return err
	}
	for _, b := range e.bodies {
		if err := w.putBody(b); err != nil {
			return err
		}
	}
	w.size = e.seq
	return nil
}

// appendDirect writes a record straight into the transaction, outside the
// WAL: for the records Open itself adds (notrecorded.go) before the commit
// loop starts. A record the log must refuse sets p.err and writes nothing.
func (w *txWriter) appendDirect(tx *bolt.Tx, p *pending) error {
	r := p.rec
	r.Seq = w.size + 1
	if r.Kind != KindResponse && r.Capture == 0 {
		r.Capture = r.Seq
	}
	var value, leaf []byte
	err := checkRecord(r)
	if err == nil && r.Kind == KindResponse {
		err = checkCapture(tx, r.Capture)
	}
	if err == nil {
		value, leaf, err = encodeRecord(r, p.enc)
	}
	if err != nil {
		r.Seq, r.Capture = 0, p.capture
		p.err = err
		return nil
	}
	e := newEntry(r, value, leaf, p)
	return w.apply(&e)
}

// finish records the new log size.
func (w *txWriter) finish() error {
	return w.records.SetSequence(w.size)
}

// checkCapture makes sure capture, older than this process's appends, is a
// request without a response, so that a response may complete it.
func checkCapture(tx *bolt.Tx, capture uint64) error {
	if tx.Bucket(bucketResponses).Get(seqKey(capture)) != nil {
		return fmt.Errorf("capture %d already has a response: %w", capture, ErrInvalid)
	}
	v := tx.Bucket(bucketRecords).Get(seqKey(capture))
	if v == nil {
		return fmt.Errorf("response to capture %d: %w", capture, ErrInvalid)
	}
	var open struct{ Kind Kind }
	if err := json.Unmarshal(v, &open); err != nil {
		return fmt.Errorf("response to capture %d: %w", capture, err)
	}
	if open.Kind != KindRequest {
		return fmt.Errorf("response to %s record %d: %w", open.Kind, capture, ErrInvalid)
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

func (w *txWriter) putIndexes(e *walEntry) error {
	switch e.kind {
	case KindResponse:
		return w.responses.Put(seqKey(e.capture), seqKey(e.seq))
	case KindIndex:
		return nil // not a capture
	}
	if err := w.byTime.Put(timeKey(e.time, e.seq), empty); err != nil {
		return err
	}
	if e.host == "" {
		return nil
	}
	return w.byHost.Put(hostKey(e.host, e.time, e.seq), empty)
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
