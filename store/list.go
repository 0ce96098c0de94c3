package store

import (
	"bytes"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// List returns the captures q selects, oldest first: ordered by the time
// of their opening record, then by Seq. With a Limit it returns the newest
// Limit of them. Host and Since/Until are answered from the by_host and
// by_time indexes, so List reads only the records it returns. Request and
// Response are left nil. When the indexer is so far behind that List
// cannot wait for it (Options.ReadWait), it returns what the index holds
// with a *BehindError: the newest acknowledged captures are missing.
func (s *Store) List(q Query) ([]Capture, error) {
	acked := s.Acknowledged()
	var out []Capture
	var size uint64
	err := s.view(func(tx *bolt.Tx) error {
		size = tx.Bucket(bucketRecords).Sequence()
		seqs := scanIndex(tx, q)
		out = make([]Capture, 0, len(seqs))
		for _, seq := range seqs {
			c, err := loadCapture(tx, seq, false)
			if err != nil {
				return fmt.Errorf("capture %d: %w", seq, err)
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	if size < acked {
		return out, fmt.Errorf("list: %w", &BehindError{Missing: acked - size})
	}
	return out, nil
}

// indexRange is a key range of by_time or by_host: the keys that start
// with prefix and are in [lo, hi); a nil hi means no upper bound but the
// prefix.
type indexRange struct {
	bucket         *bolt.Bucket
	prefix, lo, hi []byte
}

func rangeOf(tx *bolt.Tx, q Query) indexRange {
	r := indexRange{bucket: tx.Bucket(bucketByTime)}
	if q.Host != "" {
		r.bucket, r.prefix = tx.Bucket(bucketByHost), hostPrefix(q.Host)
	}
	r.lo = r.prefix
	if !q.Since.IsZero() {
		r.lo = append(slices.Clip(r.prefix), timeBytes(q.Since)...)
	}
	if !q.Until.IsZero() {
		r.hi = append(slices.Clip(r.prefix), timeBytes(q.Until)...)
	}
	return r
}

// match reports whether k is an index key in the range; done means no
// later key (earlier, when scanning backwards) can be.
func (r indexRange) match(k []byte, backward bool) (ok, done bool) {
	switch {
	case k == nil || !bytes.HasPrefix(k, r.prefix):
		return false, true
	case !backward && r.hi != nil && bytes.Compare(k, r.hi) >= 0:
		return false, true
	case backward && bytes.Compare(k, r.lo) < 0:
		return false, true
	}
	// A host with a 0x00 in it makes keys of another length under a
	// shorter host's prefix: they are not this host's.
	return len(k) == len(r.prefix)+16, false
}

// limitPrealloc is the most Seqs scanIndex allocates room for up front.
const limitPrealloc = 1024

// scanIndex returns the Seqs of the opening records q selects, in index
// order.
func scanIndex(tx *bolt.Tx, q Query) []uint64 {
	r := rangeOf(tx, q)
	c := r.bucket.Cursor()
	if q.Limit <= 0 {
		var seqs []uint64
		for k, _ := c.Seek(r.lo); ; k, _ = c.Next() {
			ok, done := r.match(k, false)
			if done {
				return seqs
			}
			if ok {
				seqs = append(seqs, seqOfIndexKey(k))
			}
		}
	}
	// The limit comes from the user (--limit, ?limit=): it bounds the
	// loop, never an allocation, so a huge one returns what exists.
	seqs := make([]uint64, 0, min(q.Limit, limitPrealloc))
	for k := r.last(c); len(seqs) < q.Limit; k, _ = c.Prev() {
		ok, done := r.match(k, true)
		if done {
			break
		}
		if ok {
			seqs = append(seqs, seqOfIndexKey(k))
		}
	}
	slices.Reverse(seqs)
	return seqs
}

// last positions c on the last key below the range's upper bound.
func (r indexRange) last(c *bolt.Cursor) []byte {
	hi := r.hi
	if hi == nil && len(r.prefix) > 0 {
		// The host's prefix ends in 0x00: the next prefix ends in 0x01.
		hi = append(slices.Clip(r.prefix[:len(r.prefix)-1]), 1)
	}
	if hi == nil {
		k, _ := c.Last()
		return k
	}
	if k, _ := c.Seek(hi); k == nil {
		k, _ = c.Last()
		return k
	}
	k, _ := c.Prev()
	return k
}
