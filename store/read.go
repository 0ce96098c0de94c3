package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// recordsChunk is how many records Records decodes per read transaction,
// so that a long export does not pin old pages (and stall the commit
// loop's remaps) for its whole length.
const recordsChunk = 256

// Record returns the record with the given Seq.
func (s *Store) Record(seq uint64) (*Record, error) {
	var r *Record
	err := s.view(func(tx *bolt.Tx) (err error) {
		if r, err = getRecord(tx, seq); err == nil {
			s.markPruned(tx, r)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", seq, err)
	}
	return r, nil
}

// Records calls fn with every record from Seq from (0 means 1) to the end,
// in Seq order, outside any transaction. An error from fn stops it and is
// returned as is.
func (s *Store) Records(from uint64, fn func(*Record) error) error {
	return s.records(from, decodeRecord, fn)
}

// Skim is Records with only each record's Seq, Capture, Kind, Time and
// Host decoded: for scans that look at every record but need none of the
// rest (capture numbers).
func (s *Store) Skim(from uint64, fn func(*Record) error) error {
	return s.records(from, skimRecord, fn)
}

// Captures calls fn with every record from Seq from (0 means 1) on, in
// Seq order, as Records does, and with the full capture (as Capture
// returns it) of each record that opens one; c is nil for a response.
// Each record is decoded once: a response is read with its request and
// handed to fn again when its turn comes (c is nil for an index record
// too). For scans that look at every
// capture (the analysis worker); an error from fn stops it.
func (s *Store) Captures(from uint64, fn func(r *Record, c *Capture) error) error {
	type item struct {
		r *Record
		c *Capture
	}
	answered := map[uint64]*Record{} // responses read with their request
	read := func(tx *bolt.Tx, k, v []byte) (item, bool, error) {
		seq := seqOfIndexKey(k)
		if r, ok := answered[seq]; ok {
			delete(answered, seq)
			return item{r: r}, true, nil
		}
		r, err := decodeRecord(v)
		if err != nil {
			return item{}, false, fmt.Errorf("record %d: %w", seq, err)
		}
		s.markPruned(tx, r)
		if r.Kind == KindResponse || r.Kind == KindIndex {
			return item{r: r}, true, nil
		}
		resp, err := responseOf(tx, seq)
		if err != nil {
			return item{}, false, err
		}
		if resp != nil {
			s.markPruned(tx, resp)
			answered[resp.Seq] = resp
		}
		c := captureOf(r, resp, true)
		s.markCapturePruned(tx, &c)
		return item{r: r, c: &c}, true, nil
	}
	return scanRecords(s, from, read, func(it item) uint64 { return it.r.Seq },
		func(it item) error { return fn(it.r, it.c) })
}

func (s *Store) records(from uint64, decode func([]byte) (*Record, error), fn func(*Record) error) error {
	read := func(tx *bolt.Tx, k, v []byte) (*Record, bool, error) {
		r, err := decode(v)
		if err != nil {
			return nil, false, fmt.Errorf("record %d: %w", seqOfIndexKey(k), err)
		}
		s.markPruned(tx, r)
		return r, true, nil
	}
	return scanRecords(s, from, read, func(r *Record) uint64 { return r.Seq }, fn)
}

// scanRecords reads the records bucket from Seq from (0 means 1) on,
// recordsChunk items per read transaction, and calls fn with each item
// read keeps, in key order and outside any transaction. seq is an item's
// Seq, where the next chunk starts after. An error from fn stops it and is
// returned as is.
func scanRecords[T any](s *Store, from uint64, read func(tx *bolt.Tx, k, v []byte) (T, bool, error), seq func(T) uint64, fn func(T) error) error {
	from = max(from, 1)
	for {
		var chunk []T
		err := s.view(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketRecords).Cursor()
			for k, v := c.Seek(seqKey(from)); k != nil && len(chunk) < recordsChunk; k, v = c.Next() {
				it, keep, err := read(tx, k, v)
				if err != nil {
					return err
				}
				if keep {
					chunk = append(chunk, it)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("records: %w", err)
		}
		for _, it := range chunk {
			if err := fn(it); err != nil {
				return err
			}
		}
		if len(chunk) < recordsChunk {
			return nil
		}
		from = seq(chunk[len(chunk)-1]) + 1
	}
}

// Capture returns the full view of one capture by its id.
func (s *Store) Capture(id string) (*Capture, error) {
	seq, err := strconv.ParseUint(id, 10, 64)
	if err != nil || strconv.FormatUint(seq, 10) != id {
		return nil, fmt.Errorf("capture %q: %w", id, ErrNotFound)
	}
	var c Capture
	load := func(tx *bolt.Tx) (err error) {
		if c, err = loadCapture(tx, seq, true); err == nil {
			s.markCapturePruned(tx, &c)
		}
		return err
	}
	// Most captures read are older than the indexer's lag (the analysis
	// reads each a scan later): wait only for the opening record, and for
	// the rest only when the capture reads incomplete while records that
	// were durable at the call are still to be indexed: its response may
	// be among them.
	durable := s.durable.Load()
	s.indexedTo(min(seq, durable))
	behind := s.indexed.Load() < durable
	err = s.viewIndexed(load)
	if err == nil && !c.Complete && behind {
		err = s.view(load)
	}
	if err != nil {
		return nil, fmt.Errorf("capture %s: %w", id, err)
	}
	return &c, nil
}

// loadCapture assembles the capture opened by record seq.
func loadCapture(tx *bolt.Tx, seq uint64, full bool) (Capture, error) {
	open, err := getRecord(tx, seq)
	if err != nil {
		return Capture{}, err
	}
	if open.Kind == KindResponse || open.Kind == KindIndex {
		return Capture{}, fmt.Errorf("record %d is a %s: %w", seq, open.Kind, ErrNotFound)
	}
	resp, err := responseOf(tx, seq)
	if err != nil {
		return Capture{}, err
	}
	return captureOf(open, resp, full), nil
}

// responseOf is the response record of the capture opened by record seq,
// nil when it has none yet.
func responseOf(tx *bolt.Tx, seq uint64) (*Record, error) {
	v := tx.Bucket(bucketResponses).Get(seqKey(seq))
	if len(v) != 8 {
		return nil, nil
	}
	return getRecord(tx, seqOfIndexKey(v))
}

func getRecord(tx *bolt.Tx, seq uint64) (*Record, error) {
	v := tx.Bucket(bucketRecords).Get(seqKey(seq))
	if v == nil {
		return nil, ErrNotFound
	}
	return decodeRecord(v)
}

// decodeRecord decodes a stored record; v may be bbolt memory, which
// encoding/json does not retain.
// skimRecord decodes only a record's identity.
func skimRecord(v []byte) (*Record, error) {
	var h struct {
		Seq, Capture uint64
		Kind         Kind
		Time         time.Time
		Host         string
	}
	if err := json.Unmarshal(v, &h); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return &Record{Seq: h.Seq, Capture: h.Capture, Kind: h.Kind, Time: h.Time, Host: h.Host}, nil
}

func decodeRecord(v []byte) (*Record, error) {
	if r, ok := parseRecordJSON(v); ok {
		return r, nil
	}
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return &r, nil
}
