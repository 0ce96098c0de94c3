package evidence

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// ParseKey parses a verifier key, the content of DATA/ca/log.pub:
// "<name>+<key hash>+<base64 key>".
func ParseKey(vkey string) (note.Verifier, error) {
	vkey = strings.TrimSpace(vkey)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("verifier key %q: %w (want the one line of DATA/ca/log.pub, name+hash+key)", vkey, err)
	}
	return v, nil
}

// Fingerprint is "sha256:" and the hex SHA-256 of a verifier key's key
// bytes (the base64 field, decoded), which a reader can recompute with
// `cut -d+ -f3- log.pub | base64 -d | sha256sum`.
func Fingerprint(vkey string) string {
	// The base64 may itself hold '+': the key is everything after the
	// second one.
	fields := strings.SplitN(strings.TrimSpace(vkey), "+", 3)
	raw, err := base64.StdEncoding.DecodeString(fields[len(fields)-1])
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}
