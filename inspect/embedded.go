package inspect

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Strings inside documents and form fields are decoded only when they
// clearly hold something: a JSON object or array, a JWT, or long base64
// whose bytes are gzip, zip, JSON or text.
const (
	kindJSON   = "json"
	kindJWT    = "jwt"
	kindBase64 = "base64"

	// minBase64 is the shortest string tried as base64: shorter ones are
	// too often ordinary words or ids that happen to decode.
	minBase64 = 24

	// maxJWT bounds the size of a JWT; real ones are a few KiB.
	maxJWT = 1 << 20
)

// embedded says what an encoded string holds, with its base64-decoded
// bytes when it is base64.
func embedded(s string) (string, []byte) {
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		return "", nil
	case (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)):
		return kindJSON, nil
	case looksLikeJWT(t):
		return kindJWT, nil
	}
	if b := decodeBase64(t); b != nil && worthDecoding(b) {
		return kindBase64, b
	}
	return "", nil
}

// decodeBase64 decodes s in any of the four base64 alphabets and paddings,
// ignoring line breaks, or returns nil.
func decodeBase64(s string) []byte {
	if len(s) < minBase64 {
		return nil
	}
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			return b
		}
	}
	return nil
}

// worthDecoding reports whether base64-decoded bytes are something a
// reader wants to see decoded, rather than a hash or a key.
func worthDecoding(b []byte) bool {
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}), bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return true
	case len(b) > 0 && (b[0] == '{' || b[0] == '['):
		return json.Valid(b)
	}
	return isText(b) && !bytes.ContainsRune(b, '\uFFFD')
}

// looksLikeJWT reports whether s is three base64url segments whose first
// decodes to a JSON object with an "alg" member.
func looksLikeJWT(s string) bool {
	h, _, err := splitJWT(s)
	return err == nil && h != nil
}

// splitJWT returns a JWT's decoded header and claims.
func splitJWT(s string) ([]byte, []byte, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxJWT || strings.Count(s, ".") != 2 {
		return nil, nil, errors.New("not three base64url segments")
	}
	segs := strings.Split(s, ".")
	if !strings.HasPrefix(segs[0], "eyJ") || segs[1] == "" {
		return nil, nil, errors.New("not three base64url segments")
	}
	for _, seg := range segs {
		if strings.TrimLeft(seg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=") != "" {
			return nil, nil, errors.New("not base64url")
		}
	}
	dec := base64.RawURLEncoding
	header, err := dec.DecodeString(strings.TrimRight(segs[0], "="))
	if err != nil {
		return nil, nil, fmt.Errorf("jwt header: %w", err)
	}
	var h map[string]any
	if json.Unmarshal(header, &h) != nil || h["alg"] == nil {
		return nil, nil, errors.New("jwt header has no alg")
	}
	claims, err := dec.DecodeString(strings.TrimRight(segs[1], "="))
	if err != nil {
		return nil, nil, fmt.Errorf("jwt claims: %w", err)
	}
	return header, claims, nil
}

// jwt decodes a JWT's header and claims as json children. The signature
// stays in Raw, unchecked.
func (d *decoder) jwt(raw []byte, depth int) (*Part, error) {
	header, claims, err := splitJWT(string(raw))
	if err != nil {
		return nil, err
	}
	p := d.newPart(TypeJWT, raw)
	p.Note = "signature not verified"
	if !d.charge(len(header) + len(claims)) {
		addNote(p, fmt.Sprintf("not decoded: all layers together may produce at most %d bytes (MaxTotal)", d.opts.MaxTotal))
		return p, nil
	}
	for i, seg := range [][]byte{header, claims} {
		if !d.reserve() {
			addNote(p, d.partsNote())
			break
		}
		c := d.decode(seg, hint{contentType: "application/json"}, depth+1)
		c.Name = []string{"header", "claims"}[i]
		p.Children = append(p.Children, c)
	}
	return p, nil
}

// charge takes n bytes from the MaxTotal budget, if they are there.
func (d *decoder) charge(n int) bool {
	if int64(n) > d.opts.MaxTotal-d.total {
		return false
	}
	d.total += int64(n)
	return true
}

// decodeString decodes a form field's value: an encoded document if it
// clearly holds one, else text.
func (d *decoder) decodeString(s string, depth int) *Part {
	if kind, dec := embedded(s); kind != "" {
		return d.decodeEmbedded(kind, s, dec, depth)
	}
	raw := []byte(s)
	if isText(raw) {
		return d.text(raw)
	}
	return d.newPart(TypeBytes, raw)
}

// decodeEmbedded decodes a string that embedded classified as kind.
func (d *decoder) decodeEmbedded(kind, s string, dec []byte, depth int) *Part {
	raw := []byte(s)
	switch kind {
	case kindBase64:
		if depth > d.opts.MaxDepth {
			return d.decode(raw, hint{}, depth) // says MaxDepth
		}
		p := d.newPart(TypeBase64, raw)
		out, err := d.readLimited(bytes.NewReader(dec), int64(len(raw)))
		d.attachOutput(p, out, err, hint{}, depth)
		return p
	case kindJWT:
		return d.decode(raw, hint{contentType: "application/jwt"}, depth)
	}
	return d.decode(raw, hint{contentType: "application/json"}, depth)
}
