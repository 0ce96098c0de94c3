package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// A request whose response record could not be written (a full disk, a
// crash) must not look like an exchange still in flight forever. Its
// capture is completed by a response record that says so: no head, no
// body, and an Error that starts with NotRecorded. It is an ordinary
// KindResponse record and leaf, so list, show, the UI and export bundles
// show it as the error that ended the exchange; Record.NotRecorded tells
// it from an upstream error.

// NotRecorded starts the Error of a response record that stands in for a
// response the store could not record.
const NotRecorded = "response not recorded"

// Interrupted is the Error of the record that a writable Open appends for
// a capture left without a response record by a process that stopped
// before it could write one.
const Interrupted = NotRecorded + " (interrupted): Telltale stopped before it could write the response record; " +
	"the request was recorded, whether it went upstream and what came back is unknown"

// NotRecorded reports whether r stands in for a response the store could
// not record.
func (r *Record) NotRecorded() bool {
	return r.Kind == KindResponse && r.Head == nil && strings.HasPrefix(r.Error, NotRecorded)
}

// NotRecordedFor returns the record that completes the capture of resp, a
// response record the store refused, with why: resp's links, client and
// timings, without its head and body.
func NotRecordedFor(resp *Record, why string) *Record {
	return &Record{
		Kind: KindResponse, Capture: resp.Capture,
		Client: resp.Client, Host: resp.Host, Port: resp.Port,
		Error:       NotRecorded + ": " + why,
		Timings:     resp.Timings,
		RequestBody: resp.RequestBody,
	}
}

// keyRecovered in meta is the Seq up to which every request has a
// response record: recoverInterrupted scans only the records after it.
var keyRecovered = []byte("recovered")

// recoverInterrupted completes, with an Interrupted record, every request
// appended since the last writable Open that has no response record. It
// runs in Open, before the commit loop: a writable Open holds the file
// exclusively, so no exchange of this store is in flight.
func (s *Store) recoverInterrupted() ([]uint64, error) {
	var done []uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		open, err := openRequests(tx)
		if err != nil {
			return err
		}
		w, err := newTxWriter(tx)
		if err != nil {
			return err
		}
		for _, req := range open {
			r := &Record{Kind: KindResponse, Capture: req.Seq, Time: s.opts.Now(),
				Client: req.Client, Host: req.Host, Port: req.Port, Error: Interrupted}
			p := &pending{rec: r, capture: r.Capture}
			if err := w.appendDirect(tx, p); err != nil {
				return err
			}
			if p.err != nil {
				return fmt.Errorf("capture %d: %w", req.Seq, p.err)
			}
			done = append(done, req.Seq)
		}
		if err := w.finish(); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyRecovered, seqKey(w.size))
	})
	if err != nil {
		return nil, fmt.Errorf("record interrupted captures: %w", err)
	}
	return done, nil
}

// openRequests returns the request records after meta/recovered that
// have no response record.
func openRequests(tx *bolt.Tx) ([]*Record, error) {
	from := uint64(1)
	if v := tx.Bucket(bucketMeta).Get(keyRecovered); len(v) == 8 {
		from = binary.BigEndian.Uint64(v) + 1
	}
	responses := tx.Bucket(bucketResponses)
	var out []*Record
	c := tx.Bucket(bucketRecords).Cursor()
	for k, v := c.Seek(seqKey(from)); k != nil; k, v = c.Next() {
		if len(k) != 8 || !isRequest(v) || responses.Get(k) != nil {
			continue
		}
		r, err := decodeRecord(v)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", seqOfIndexKey(k), err)
		}
		if r.Kind == KindRequest {
			out = append(out, r)
		}
	}
	return out, nil
}

// isRequest is a quick look at a stored record's kind: json.Marshal
// writes seq, capture and kind first. A record in another form is looked
// at in full.
func isRequest(v []byte) bool {
	i := bytes.Index(v[:min(len(v), 64)], []byte(`,"kind":"`))
	if i < 0 {
		return true
	}
	return bytes.HasPrefix(v[i+len(`,"kind":"`):], []byte(KindRequest+`"`))
}
