package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// IndexProblem is an index entry that disagrees with the records: one
// missing for a record, or one pointing at no such record. The indexes are
// not part of the Merkle log, but an edited index hides captures from
// List, so the verifier reports them.
type IndexProblem struct {
	Seq     uint64 // the record concerned
	Capture uint64 // its capture, when known
	Msg     string
}

// indexed is what the indexes say about a record.
type indexed struct {
	Seq     uint64    `json:"seq"`
	Capture uint64    `json:"capture"`
	Kind    Kind      `json:"kind"`
	Time    time.Time `json:"time"`
	Host    string    `json:"host"`
}

// CheckIndexes compares by_time, by_host and responses with the records,
// both ways, in one read transaction. Records that do not decode are left
// to the verifier.
func (s *Store) CheckIndexes() ([]IndexProblem, error) {
	var out []IndexProblem
	err := s.view(func(tx *bolt.Tx) error {
		c := indexChecker{tx: tx, records: tx.Bucket(bucketRecords)}
		if err := c.records.ForEach(c.forward); err != nil {
			return err
		}
		c.backward()
		out = c.problems
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check indexes: %w", err)
	}
	return out, nil
}

type indexChecker struct {
	tx       *bolt.Tx
	records  *bolt.Bucket
	problems []IndexProblem
}

func (c *indexChecker) add(seq, capture uint64, format string, args ...any) {
	c.problems = append(c.problems, IndexProblem{Seq: seq, Capture: capture, Msg: fmt.Sprintf(format, args...)})
}

// record decodes what the indexes need of the record with key k. A
// record that is missing, does not decode or is not under its own Seq is
// the verifier's to report, not an index problem: ok is false.
func (c *indexChecker) record(k []byte) (indexed, bool) {
	var r indexed
	v := c.records.Get(k)
	if v == nil && seqOfIndexKey(k) > c.records.Sequence() {
		// Beyond the log: no record was ever there for the verifier to
		// miss, so the index entry itself is the problem.
		return r, true
	}
	if v == nil || json.Unmarshal(v, &r) != nil || r.Seq != seqOfIndexKey(k) {
		return r, false
	}
	return r, true
}

// forward checks that every record has its index entries.
func (c *indexChecker) forward(k, v []byte) error {
	var r indexed
	if len(k) != 8 || json.Unmarshal(v, &r) != nil || r.Seq != seqOfIndexKey(k) {
		return nil
	}
	if r.Kind == KindResponse {
		if got := c.tx.Bucket(bucketResponses).Get(seqKey(r.Capture)); !bytes.Equal(got, k) {
			c.add(r.Seq, r.Capture, "missing from the responses index")
		}
		return nil
	}
	if r.Kind == KindIndex {
		return nil // in no index
	}
	if c.tx.Bucket(bucketByTime).Get(timeKey(r.Time, r.Seq)) == nil {
		c.add(r.Seq, r.Capture, "missing from the time index")
	}
	if r.Host != "" && c.tx.Bucket(bucketByHost).Get(hostKey(r.Host, r.Time, r.Seq)) == nil {
		c.add(r.Seq, r.Capture, "missing from the host index")
	}
	return nil
}

// backward checks that every index entry that points at a readable record
// points at one that has it.
func (c *indexChecker) backward() {
	c.tx.Bucket(bucketByTime).ForEach(func(k, _ []byte) error {
		if len(k) != 16 {
			c.add(0, 0, "malformed time index entry %x", k)
			return nil
		}
		seq := seqOfIndexKey(k)
		if r, ok := c.record(seqKey(seq)); ok && (r.Kind == KindResponse || r.Kind == KindIndex || !bytes.Equal(k, timeKey(r.Time, seq))) {
			c.add(seq, seq, "time index entry names no such capture")
		}
		return nil
	})
	c.tx.Bucket(bucketByHost).ForEach(func(k, _ []byte) error {
		if len(k) < 17 {
			c.add(0, 0, "malformed host index entry %x", k)
			return nil
		}
		seq := seqOfIndexKey(k)
		if r, ok := c.record(seqKey(seq)); ok && (r.Host == "" || r.Kind == KindIndex || !bytes.Equal(k, hostKey(r.Host, r.Time, seq))) {
			c.add(seq, seq, "host index entry for %q names no such capture", k[:len(k)-17])
		}
		return nil
	})
	c.tx.Bucket(bucketResponses).ForEach(func(k, v []byte) error {
		if len(k) != 8 || len(v) != 8 {
			c.add(0, 0, "malformed responses index entry %x", k)
			return nil
		}
		capture, seq := seqOfIndexKey(k), seqOfIndexKey(v)
		if r, ok := c.record(v); ok && (r.Kind != KindResponse || r.Capture != capture) {
			c.add(seq, capture, "responses index entry names no such response")
		}
		return nil
	})
}
