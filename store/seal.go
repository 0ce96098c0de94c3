package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
)

// DefaultSealMax is the largest body Options.Seal looks at: secrets travel
// in small bodies (token requests), and decoding costs the capture path.
const DefaultSealMax = 64 << 10

// Sealer finds the secrets of a body at capture time, in every layer it
// can decode (evidence.Redactor.Seal). It returns nil when the body holds
// none. It runs in the appending goroutine, before the commit. Its
// verdict may depend on the body and on the head's Content-Type and
// Content-Encoding fields, nothing else: the store does not ask again
// about a body it found none in under the same two fields (sealMisses).
type Sealer func(h *Head, body []byte) *Sealing

// Sealing is what a Sealer found in a body.
type Sealing struct {
	Copy    []byte   // the body with every secret replaced
	Form    string   // CopyBody or CopyFields
	Secrets []Secret // in the order they appear
}

// Forms of a sealed body's redacted copy.
const (
	// CopyBody is the body itself, its Content-Encoding undone, with each
	// secret value replaced by "[REDACTED]" and every other byte kept.
	CopyBody = "body"
	// CopyFields is a JSON listing of every field inspect decodes from the
	// body, through every layer, with each secret value replaced.
	CopyFields = "fields"
)

// Secret is one secret value of a body: where it is (an inspect path)
// and its value as text.
type Secret struct {
	Path  string
	Value string
}

// Seal is what a v2 leaf commits to for a body that held secrets when it
// was captured: a salted commitment to the body, the redacted copy (stored
// like a body, under its SHA-256) and a salted commitment to each secret.
// Its salts are in Record.Salts.
type Seal struct {
	Copy     string         `json:"copy"` // hex SHA-256 of the redacted copy
	CopySize int64          `json:"copy_size"`
	Form     string         `json:"form"` // CopyBody or CopyFields
	Secrets  []SealedSecret `json:"secrets"`
}

// SealedSecret is a secret's path and its commitment
// SHA-256(salt ‖ ns(path) ‖ ns(value)).
type SealedSecret struct {
	Path       string `json:"path"`
	Commitment string `json:"commitment"`
}

// SealVersion is the first line of a seal's text.
const SealVersion = "telltale-seal/v2"

// BodyCommitment is the seal's body line: SHA-256(salt ‖ ns(hex SHA-256
// of the body) ‖ ns(its size in decimal)).
func BodyCommitment(salt []byte, sha string, size int64) string {
	return commit(salt, sha, strconv.FormatInt(size, 10))
}

// SealText is the text whose SHA-256 a sealed v2 leaf's body line holds
// (doc.go, Leaves).
func SealText(r *Record) ([]byte, error) {
	if r.Seal == nil || r.Salts == nil || len(r.Salts.Body) != SaltSize {
		return nil, fmt.Errorf("leaf: a sealed body without its salt")
	}
	s := r.Seal
	b := fmt.Appendf(nil, "%s\nbody %s\ncopy %s %d %s\n", SealVersion,
		BodyCommitment(r.Salts.Body, r.Body.SHA256, r.Body.Size), s.Copy, s.CopySize, s.Form)
	for _, sec := range s.Secrets {
		path, err := json.Marshal(sec.Path)
		if err != nil {
			return nil, fmt.Errorf("leaf: %w", err)
		}
		b = fmt.Appendf(b, "secret %s %s\n", sec.Commitment, path)
	}
	return b, nil
}

// sealBody runs the Sealer on a small, complete body and, when it holds
// secrets, sets r.Seal and its salts and returns the copy to store.
func (s *Store) sealBody(r *Record, stored *inlineBody) (*inlineBody, error) {
	if s.opts.Seal == nil || stored == nil || r.Head == nil || r.Body.Truncated ||
		r.Body.Size == 0 || r.Body.Size > s.opts.SealMax {
		return nil, nil
	}
	miss := sealMissKey(r.Head, stored.key)
	if s.sealMisses.has(miss) {
		return nil, nil
	}
	found := s.opts.Seal(r.Head, stored.data)
	if found == nil || len(found.Secrets) == 0 {
		s.sealMisses.add(miss)
		return nil, nil
	}
	salts := make([]byte, (1+len(found.Secrets))*SaltSize)
	if _, err := rand.Read(salts); err != nil {
		return nil, fmt.Errorf("salts: %w", err)
	}
	r.Salts.Body, r.Salts.Secrets = salts[:SaltSize], salts[SaltSize:]
	sum := sha256.Sum256(found.Copy)
	seal := &Seal{Copy: hex.EncodeToString(sum[:]), CopySize: int64(len(found.Copy)), Form: found.Form}
	for i, sec := range found.Secrets {
		c := commit(r.Salts.Secrets[i*SaltSize:(i+1)*SaltSize], sec.Path, sec.Value)
		seal.Secrets = append(seal.Secrets, SealedSecret{Path: sec.Path, Commitment: c})
	}
	r.Seal = seal
	return &inlineBody{key: seal.Copy, data: found.Copy}, nil
}
