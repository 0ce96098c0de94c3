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
	value, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	m := MetaOf(r)
	meta, err := json.Marshal(&m)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	head, err := HeadHash(r)
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
	meta, ok := e.splice(e.meta, r)
	if !ok {
		return nil, nil, false
	}
	sum := sha256.Sum256(meta)
	l := Leaf{Version: leafVersion(r), Seq: r.Seq, Capture: r.Capture, Kind: r.Kind, Meta: hex.EncodeToString(sum[:]), Head: e.head}
	l.setBody(r.Body, e.sealed)
	return value, l.Encode(), true
}

// splice replaces the leading {"seq":0,"capture":N, of b with r's numbers.
func (e *encoded) splice(b []byte, r *Record) ([]byte, bool) {
	old := append(append([]byte(`{"seq":0,"capture":`), strconv.FormatUint(e.capture, 10)...), ',')
	if !bytes.HasPrefix(b, old) {
		return nil, false
	}
	out := make([]byte, 0, len(b)+32)
	out = append(out, `{"seq":`...)
	out = strconv.AppendUint(out, r.Seq, 10)
	out = append(out, `,"capture":`...)
	out = strconv.AppendUint(out, r.Capture, 10)
	out = append(out, ',')
	return append(out, b[len(old):]...), true
}
