package evidence

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// openSigned verifies a signed note strictly: the log key must sign it;
// every other signature line must be a witness's, and verify; each
// signature is in canonical base64 and appears once. note.Open alone
// passes a note with extra unknown signatures, drops a repeated line
// unchecked and decodes base64 with stray padding bits: each is a way to
// change the bytes of a note that still "verifies".
func openSigned(msg []byte, log note.Verifier, witnesses []note.Verifier) (*note.Note, error) {
	n, err := note.Open(msg, note.VerifierList(append([]note.Verifier{log}, witnesses...)...))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case err == nil:
	case errors.As(err, &unverified):
		return nil, fmt.Errorf("not signed by key %s+%08x but by %s: %w", log.Name(), log.KeyHash(),
			sigNames(unverified.Note.UnverifiedSigs), ErrWrongKey)
	case errors.As(err, &invalid):
		return nil, fmt.Errorf("signature by %s+%08x does not verify: %w", invalid.Name, invalid.Hash, ErrBadSignature)
	default:
		return nil, fmt.Errorf("not a signed note (%v): %w", err, ErrBadSignature)
	}
	if len(n.UnverifiedSigs) > 0 {
		return nil, fmt.Errorf("also signed by %s, a key that is neither the log's nor a witness's (list it with --witness, or drop the line): %w",
			sigNames(n.UnverifiedSigs), ErrBadSignature)
	}
	if !signedBy(n, log) {
		return nil, fmt.Errorf("signed only by witnesses, not by the log key %s+%08x: %w", log.Name(), log.KeyHash(), ErrWrongKey)
	}
	if err := canonicalSigs(msg, len(n.Sigs)); err != nil {
		return nil, err
	}
	return n, nil
}

func signedBy(n *note.Note, v note.Verifier) bool {
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			return true
		}
	}
	return false
}

func sigNames(sigs []note.Signature) string {
	var by []string
	for _, s := range sigs {
		by = append(by, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
	}
	return strings.Join(by, ", ")
}

// canonicalSigs checks the signature lines of a note that note.Open
// accepted with verified signatures: one line each, canonical base64.
func canonicalSigs(msg []byte, verified int) error {
	sigs := msg[bytes.LastIndex(msg, []byte("\n\n"))+2:]
	lines := strings.Split(strings.TrimSuffix(string(sigs), "\n"), "\n")
	if len(lines) != verified {
		return fmt.Errorf("%d signature lines for %d signatures (a line is repeated): %w", len(lines), verified, ErrBadSignature)
	}
	for _, l := range lines {
		_, b64, _ := strings.Cut(strings.TrimPrefix(l, "— "), " ")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || base64.StdEncoding.EncodeToString(raw) != b64 {
			return fmt.Errorf("signature %q is not in canonical base64: %w", b64, ErrBadSignature)
		}
	}
	return nil
}

// openCheckpoint is Open with witness keys whose signatures are accepted.
func openCheckpoint(signed []byte, v note.Verifier, witnesses []note.Verifier) (Checkpoint, error) {
	n, err := openSigned(signed, v, witnesses)
	if err != nil {
		return Checkpoint{}, err
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("checkpoint of log %q, not of %q", c.Origin, v.Name())
	}
	return c, nil
}
