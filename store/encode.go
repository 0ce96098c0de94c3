package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
)

// encoded is a record's stored value and meta JSON made before the commit
// loop assigns its Seq, so that the one serial part of every append, the
// commit loop, does no JSON encoding: encoding/json writes "seq" and
// "capture" first, and the loop only splices the numbers in.
type encoded struct {
	value   []byte // json.Marshal of the record, with Seq 0
	meta    []byte // the same with Head and Body zeroed (see MetaHash)
	head    string // HeadHash
	sealed  string // SealHash
	capture uint64 // Capture as encoded
}

// preEncode encodes r, whose Seq is still 0.
func preEncode(r *Record) (*encoded, error) {
	value, err := marshalRecord(r, false)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	meta, err := marshalRecord(r, true)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	head, err := headHash(r)
	if err != nil {
		return nil, err
	}
	sealed, err := SealHash(r)
	if err != nil {
		return nil, err
	}
	return &encoded{value: value, meta: meta, head: head, sealed: sealed, capture: r.Capture}, nil
}

// finish returns the stored value and the leaf data of r, whose Seq and
// Capture the commit loop has just set. ok is false when the encoding does
// not start as expected; the caller then encodes r afresh.
func (e *encoded) finish(r *Record) (value, leaf []byte, ok bool) {
	value, ok = e.splice(e.value, r)
	if !ok {
		return nil, nil, false
	}
	prefix, rest, ok := e.spliced(e.meta, r)
	if !ok {
		return nil, nil, false
	}
	h := sha256.New()
	h.Write(prefix)
	h.Write(rest)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	l := Leaf{Version: leafVersion(r), Seq: r.Seq, Capture: r.Capture, Kind: r.Kind, Meta: hex.EncodeToString(sum[:]), Head: e.head}
	l.setBody(r.Body, e.sealed)
	return value, l.Encode(), true
}

// splice replaces the leading {"seq":0,"capture":N, of b with r's numbers.
func (e *encoded) splice(b []byte, r *Record) ([]byte, bool) {
	prefix, rest, ok := e.spliced(b, r)
	if !ok {
		return nil, false
	}
	return append(append(make([]byte, 0, len(prefix)+len(rest)), prefix...), rest...), true
}

// spliced is splice in two parts: r's new prefix and the rest of b.
func (e *encoded) spliced(b []byte, r *Record) (prefix, rest []byte, ok bool) {
	var buf [48]byte
	old := strconv.AppendUint(append(buf[:0], `{"seq":0,"capture":`...), e.capture, 10)
	old = append(old, ',')
	if !bytes.HasPrefix(b, old) {
		return nil, nil, false
	}
	rest = b[len(old):]
	prefix = append(make([]byte, 0, 48), `{"seq":`...)
	prefix = strconv.AppendUint(prefix, r.Seq, 10)
	prefix = append(prefix, `,"capture":`...)
	prefix = strconv.AppendUint(prefix, r.Capture, 10)
	return append(prefix, ','), rest, true
}

// marshalRecord is json.Marshal(r), or with meta set of MetaOf(r): by
// appendRecordJSON while it knows every field (handJSON). Only the write
// path takes it; verification recomputes the meta hash with encoding/json
// (MetaHash), so every verify also checks this encoder.
func marshalRecord(r *Record, meta bool) ([]byte, error) {
	if handJSON {
		if b, err := appendRecordJSON(make([]byte, 0, 1024), r, meta); err == nil {
			return b, nil
		}
	}
	if meta {
		m := MetaOf(r)
		return json.Marshal(&m)
	}
	return json.Marshal(r)
}
