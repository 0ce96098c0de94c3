package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// SaltSize is the size of the random salt of each field commitment.
const SaltSize = 16

// Field kinds of a head, in the order HeadFields lists them.
const (
	FieldMethod  = "method"
	FieldURL     = "url"   // the URL up to, not including, the first '?'
	FieldQuery   = "query" // one a=b pair of the query, as sent
	FieldStatus  = "status"
	FieldProto   = "proto"
	FieldHeader  = "header"
	FieldTrailer = "trailer"
)

// Field is one field of a head as a v2 leaf commits to it. Name is the
// header or trailer name, or the key of a query pair (as sent), and ""
// for the other kinds.
type Field struct {
	Kind  string `json:"kind"`
	Name  string `json:"name,omitempty"`
	Value string `json:"value"`
}

// Salts are the random salts of a v2 record's commitments (see doc.go,
// Leaves). They are stored with the record and never in its leaf, so that
// a field shipped without its salt cannot be guessed from its commitment.
type Salts struct {
	// Head holds SaltSize bytes per field of HeadFields(r.Head), in order.
	Head []byte `json:"head,omitempty"`
	// Body is the salt of a sealed body's commitment, and Secrets holds
	// SaltSize bytes per secret of Record.Seal (seal.go).
	Body    []byte `json:"body,omitempty"`
	Secrets []byte `json:"secrets,omitempty"`
}

// HeadFields lists the fields of h in commitment order: method, the URL
// and its query pairs, status, proto, then every header and every trailer
// in order. Method, URL and status appear only when set.
func HeadFields(h *Head) []Field {
	if h == nil {
		return nil
	}
	fs := make([]Field, 0, 4+len(h.Headers)+len(h.Trailers))
	if h.Method != "" {
		fs = append(fs, Field{Kind: FieldMethod, Value: h.Method})
	}
	if h.URL != "" {
		base, query, hasQuery := strings.Cut(h.URL, "?")
		fs = append(fs, Field{Kind: FieldURL, Value: base})
		if hasQuery {
			for _, pair := range strings.Split(query, "&") {
				key, _, _ := strings.Cut(pair, "=")
				fs = append(fs, Field{Kind: FieldQuery, Name: key, Value: pair})
			}
		}
	}
	if h.Status != 0 {
		fs = append(fs, Field{Kind: FieldStatus, Value: strconv.Itoa(h.Status)})
	}
	fs = append(fs, Field{Kind: FieldProto, Value: h.Proto})
	for _, f := range h.Headers {
		fs = append(fs, Field{Kind: FieldHeader, Name: f.Name, Value: f.Value})
	}
	for _, f := range h.Trailers {
		fs = append(fs, Field{Kind: FieldTrailer, Name: f.Name, Value: f.Value})
	}
	return fs
}

// HeadOf rebuilds a head from its fields, the inverse of HeadFields.
func HeadOf(fs []Field) (*Head, error) {
	h := &Head{}
	url, pairs := false, 0
	for i, f := range fs {
		switch f.Kind {
		case FieldMethod:
			h.Method = f.Value
		case FieldURL:
			h.URL, url = f.Value, true
		case FieldQuery:
			if !url {
				return nil, fmt.Errorf("field %d: a query pair without a URL", i)
			}
			sep := "&"
			if pairs == 0 {
				sep = "?"
			}
			h.URL += sep + f.Value
			pairs++
		case FieldStatus:
			n, err := strconv.Atoi(f.Value)
			if err != nil || strconv.Itoa(n) != f.Value || n == 0 {
				return nil, fmt.Errorf("field %d: status %q", i, f.Value)
			}
			h.Status = n
		case FieldProto:
			h.Proto = f.Value
		case FieldHeader:
			h.Headers = append(h.Headers, Header{Name: f.Name, Value: f.Value})
		case FieldTrailer:
			h.Trailers = append(h.Trailers, Header{Name: f.Name, Value: f.Value})
		default:
			return nil, fmt.Errorf("field %d: unknown kind %q", i, f.Kind)
		}
	}
	return h, nil
}

// Commit returns the hex commitment to a field with its salt:
// SHA-256(salt ‖ ns(kind) ‖ ns(name) ‖ ns(value)), where ns(s) is the
// netstring of s: its length in decimal bytes, ':', s, ','.
func Commit(salt []byte, f Field) string {
	return commit(salt, f.Kind, f.Name, f.Value)
}

// commit is SHA-256(salt ‖ ns(s) for each s), in hex.
func commit(salt []byte, ss ...string) string {
	n := len(salt)
	for _, s := range ss {
		n += len(s) + 22
	}
	b := append(make([]byte, 0, n), salt...)
	for _, s := range ss {
		b = append(strconv.AppendInt(b, int64(len(s)), 10), ':')
		b = append(append(b, s...), ',')
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CommitmentsHash is the head line of a v2 leaf: the hex SHA-256 of the
// field commitments, each as 64 hex digits and a newline, in order.
func CommitmentsHash(commitments []string) string {
	h := sha256.New()
	for _, c := range commitments {
		h.Write([]byte(c))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// HeadCommitments returns the commitment of each field of h with the
// record's head salts.
func HeadCommitments(h *Head, salts []byte) ([]Field, []string, error) {
	fs := HeadFields(h)
	if len(salts) != SaltSize*len(fs) {
		return nil, nil, fmt.Errorf("leaf: %d bytes of head salts for %d fields, want %d", len(salts), len(fs), SaltSize*len(fs))
	}
	cs := make([]string, len(fs))
	for i, f := range fs {
		cs[i] = Commit(salts[i*SaltSize:(i+1)*SaltSize], f)
	}
	return fs, cs, nil
}

// HeadSalt returns the salt of field i.
func (s *Salts) HeadSalt(i int) []byte {
	return s.Head[i*SaltSize : (i+1)*SaltSize]
}

// newSalts draws the salts of a record about to be appended.
func newSalts(r *Record) (*Salts, error) {
	s := &Salts{}
	n := 0
	if r.Head != nil {
		eachHeadField(r.Head, func(string, string, string) { n++ })
	}
	if n > 0 {
		s.Head = make([]byte, n*SaltSize)
		if _, err := rand.Read(s.Head); err != nil {
			return nil, fmt.Errorf("salts: %w", err)
		}
	}
	return s, nil
}

// headHash is HeadHash(r) for a record with salts, made without the
// fields, strings and slices HeadCommitments returns: each commitment is
// hashed into the head line as it is made. The capture path takes it; a
// verifier takes HeadHash, so every verify also checks it.
func headHash(r *Record) (string, error) {
	if r.Head == nil || r.Salts == nil {
		return HeadHash(r)
	}
	salts := r.Salts.Head
	line := sha256.New()
	hexSum := make([]byte, 2*sha256.Size+1)
	field := make([]byte, 0, 256)
	i := 0
	eachHeadField(r.Head, func(kind, name, value string) {
		if len(salts) >= (i+1)*SaltSize {
			field = append(field[:0], salts[i*SaltSize:(i+1)*SaltSize]...)
			for _, s := range [3]string{kind, name, value} {
				field = appendNetstring(field, s)
			}
			sum := sha256.Sum256(field)
			hex.Encode(hexSum, sum[:])
			hexSum[len(hexSum)-1] = '\n'
			line.Write(hexSum)
		}
		i++
	})
	if len(salts) != i*SaltSize {
		return HeadHash(r) // its error says what is wrong
	}
	return hex.EncodeToString(line.Sum(hexSum[:0])), nil
}

// appendNetstring appends the netstring of s: its length in decimal, ':',
// s, ','.
func appendNetstring(b []byte, s string) []byte {
	b = append(strconv.AppendInt(b, int64(len(s)), 10), ':')
	return append(append(b, s...), ',')
}

// eachHeadField calls fn with the kind, name and value of each field of
// h, in HeadFields' order, without making the list.
func eachHeadField(h *Head, fn func(kind, name, value string)) {
	if h.Method != "" {
		fn(FieldMethod, "", h.Method)
	}
	if h.URL != "" {
		base, query, hasQuery := strings.Cut(h.URL, "?")
		fn(FieldURL, "", base)
		for more := hasQuery; more; {
			var pair string
			pair, query, more = strings.Cut(query, "&")
			key, _, _ := strings.Cut(pair, "=")
			fn(FieldQuery, key, pair)
		}
	}
	if h.Status != 0 {
		fn(FieldStatus, "", strconv.Itoa(h.Status))
	}
	fn(FieldProto, "", h.Proto)
	for _, f := range h.Headers {
		fn(FieldHeader, f.Name, f.Value)
	}
	for _, f := range h.Trailers {
		fn(FieldTrailer, f.Name, f.Value)
	}
}
