package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The first line of every leaf: v1 leaves commit to a head by the hash of
// its JSON, v2 leaves to each of its fields (doc.go, Leaves). New records
// get v2 leaves; a store keeps the v1 leaves it holds.
const (
	LeafVersion1 = "telltale-leaf/v1"
	LeafVersion2 = "telltale-leaf/v2"
)

// Leaf is what the log commits to for one record: the record's identity in
// clear and every part of it by hash, so that a part can be withheld (a
// redacted head, a pruned body) while the leaf still verifies. doc.go gives
// the encoding.
type Leaf struct {
	Version int // 1 or 2
	Seq     uint64
	Capture uint64
	Kind    Kind
	Meta    string // MetaHash of the record
	Head    string // HeadHash of the record; "" when it has no head

	BodySHA256 string // BodyRef.SHA256; "" when not known
	BodySize   int64  // BodyRef.Size; 0 when BodySHA256 is ""

	StoredSHA256 string // BodyRef.StoredKey(); "" when nothing is stored
	StoredSize   int64  // size of the stored bytes; 0 when StoredSHA256 is ""

	// Sealed is the hex SHA-256 of SealText for a v2 record with a Seal;
	// the body and stored fields above are then empty.
	Sealed string
}

// LeafData returns the leaf encoding of a record, the data of its log leaf.
func LeafData(r *Record) ([]byte, error) {
	l, err := NewLeaf(r)
	if err != nil {
		return nil, err
	}
	return l.Encode(), nil
}

// NewLeaf computes the leaf of a record.
func NewLeaf(r *Record) (Leaf, error) {
	meta, err := MetaHash(r)
	if err != nil {
		return Leaf{}, err
	}
	head, err := HeadHash(r)
	if err != nil {
		return Leaf{}, err
	}
	sealed, err := SealHash(r)
	if err != nil {
		return Leaf{}, err
	}
	l := Leaf{Version: leafVersion(r), Seq: r.Seq, Capture: r.Capture, Kind: r.Kind, Meta: meta, Head: head}
	l.setBody(r.Body, sealed)
	return l, nil
}

// SealHash is the hex SHA-256 of SealText(r), or "" when r has no Seal.
func SealHash(r *Record) (string, error) {
	if r.Seal == nil {
		return "", nil
	}
	text, err := SealText(r)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(text)
	return hex.EncodeToString(sum[:]), nil
}

// leafVersion is 2 for a record with salts, else 1.
func leafVersion(r *Record) int {
	if r.Salts != nil {
		return 2
	}
	return 1
}

// setBody fills the leaf's body and stored lines from b, or from the
// seal's hash.
func (l *Leaf) setBody(b BodyRef, sealed string) {
	if sealed != "" {
		l.Sealed = sealed
		return
	}
	if b.SHA256 != "" {
		l.BodySHA256, l.BodySize = b.SHA256, b.Size
	}
	if l.StoredSHA256 = b.StoredKey(); l.StoredSHA256 != "" {
		l.StoredSize = b.Size
		if b.Truncated {
			l.StoredSize = b.StoredSize
		}
	}
}

// MetaHash is the hex SHA-256 of the JSON encoding of MetaOf(r).
func MetaHash(r *Record) (string, error) {
	m := MetaOf(r)
	return jsonHash(&m)
}

// MetaOf is r with Head, Body, Salts and Seal zeroed: everything about a
// record except its head and body, which the leaf commits to separately,
// and the salts, which stay secret. Body.Pruned, which retention may set later, is
// therefore outside the leaf.
func MetaOf(r *Record) Record {
	m := *r
	m.Head, m.Body, m.Salts, m.Seal = nil, BodyRef{}, nil, nil
	return m
}

// HeadHash is the leaf's head line for r, "" when r has no head: for a v1
// record the hex SHA-256 of the JSON encoding of r.Head, for a v2 record
// the CommitmentsHash of its head fields.
func HeadHash(r *Record) (string, error) {
	if r.Head == nil {
		return "", nil
	}
	if r.Salts == nil {
		return jsonHash(r.Head)
	}
	_, cs, err := HeadCommitments(r.Head, r.Salts.Head)
	if err != nil {
		return "", err
	}
	return CommitmentsHash(cs), nil
}

func jsonHash(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("leaf: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Encode returns the leaf data. It is the inverse of ParseLeaf.
func (l Leaf) Encode() []byte {
	b := make([]byte, 0, 400)
	b = append(append(b, l.versionLine()...), "\nseq "...)
	b = append(strconv.AppendUint(b, l.Seq, 10), "\ncapture "...)
	b = append(strconv.AppendUint(b, l.Capture, 10), "\nkind "...)
	b = append(append(b, l.Kind...), "\nmeta "...)
	b = append(append(b, l.Meta...), "\nhead "...)
	b = append(append(b, dash(l.Head)...), '\n')
	if l.Sealed != "" {
		return append(append(append(b, "body sealed "...), l.Sealed...), "\nstored sealed\n"...)
	}
	b = appendLeafPart(append(b, "body "...), l.BodySHA256, l.BodySize)
	b = appendLeafPart(append(b, "\nstored "...), l.StoredSHA256, l.StoredSize)
	return append(b, '\n')
}

// appendLeafPart appends a body or stored line's value: "<sha256> <size>",
// or "-" when sum is "".
func appendLeafPart(b []byte, sum string, size int64) []byte {
	if sum == "" {
		return append(b, '-')
	}
	return strconv.AppendInt(append(append(b, sum...), ' '), size, 10)
}

func (l Leaf) versionLine() string {
	if l.Version == 2 {
		return LeafVersion2
	}
	return LeafVersion1
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ParseLeaf decodes leaf data. It accepts only the canonical encoding:
// ParseLeaf(data).Encode() is data.
func ParseLeaf(data []byte) (Leaf, error) {
	lines := strings.Split(string(data), "\n")
	var l Leaf
	switch lines[0] {
	case LeafVersion1:
		l.Version = 1
	case LeafVersion2:
		l.Version = 2
	}
	if len(lines) != 9 || l.Version == 0 || lines[8] != "" {
		return Leaf{}, fmt.Errorf("parse leaf: not a %s or %s leaf", LeafVersion1, LeafVersion2)
	}
	var body, stored string
	fields := []struct {
		name string
		fn   func(string) error
	}{
		{"seq", func(v string) (err error) { l.Seq, err = strconv.ParseUint(v, 10, 64); return err }},
		{"capture", func(v string) (err error) { l.Capture, err = strconv.ParseUint(v, 10, 64); return err }},
		{"kind", func(v string) error { l.Kind = Kind(v); return nil }},
		{"meta", func(v string) error { l.Meta = v; return nil }},
		{"head", func(v string) error { l.Head = strings.TrimPrefix(v, "-"); return nil }},
		{"body", func(v string) error { body = v; return nil }},
		{"stored", func(v string) error { stored = v; return nil }},
	}
	for i, f := range fields {
		v, ok := strings.CutPrefix(lines[i+1], f.name+" ")
		if !ok {
			return Leaf{}, fmt.Errorf("parse leaf: line %d: want %q", i+2, f.name)
		}
		if err := f.fn(v); err != nil {
			return Leaf{}, fmt.Errorf("parse leaf: %s: %w", f.name, err)
		}
	}
	if sealed, ok := strings.CutPrefix(body, "sealed "); ok && l.Version == 2 && stored == "sealed" {
		l.Sealed = sealed
	} else if err := l.parseParts(body, stored); err != nil {
		return Leaf{}, err
	}
	if !bytes.Equal(l.Encode(), data) || !validLeafHashes(l) {
		return Leaf{}, fmt.Errorf("parse leaf: not canonical")
	}
	return l, nil
}

func (l *Leaf) parseParts(body, stored string) error {
	var err error
	if l.BodySHA256, l.BodySize, err = parsePart(body); err != nil {
		return fmt.Errorf("parse leaf: body: %w", err)
	}
	if l.StoredSHA256, l.StoredSize, err = parsePart(stored); err != nil {
		return fmt.Errorf("parse leaf: stored: %w", err)
	}
	return nil
}

func parsePart(v string) (string, int64, error) {
	if v == "-" {
		return "", 0, nil
	}
	sum, size, ok := strings.Cut(v, " ")
	if !ok {
		return "", 0, fmt.Errorf("want \"<sha256> <size>\" or \"-\"")
	}
	n, err := strconv.ParseInt(size, 10, 64)
	return sum, n, err
}

func validLeafHashes(l Leaf) bool {
	return isSHA256(l.Meta) && (l.Head == "" || isSHA256(l.Head)) &&
		(l.BodySHA256 == "" || isSHA256(l.BodySHA256)) &&
		(l.StoredSHA256 == "" || isSHA256(l.StoredSHA256)) &&
		(l.Sealed == "" || isSHA256(l.Sealed))
}

// isSHA256 reports whether s is a content address: 64 lowercase hex digits.
func isSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
