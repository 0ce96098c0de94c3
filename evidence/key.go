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

// useKey settles the key: a trusted one, or the bundle's.
func (v *bundleVerifier) useKey(opts BundleOptions) {
	key := v.m.Log.Key
	if len(opts.Keys) > 0 {
		key, v.rep.KeyPinned = trustedKey(opts.Keys, v.m.Log.Key), true
		if key != v.m.Log.Key {
			v.fail(FileManifest, "the bundle's key %s (fingerprint %s) is not the pinned key %s (fingerprint %s)",
				v.m.Log.Key, Fingerprint(v.m.Log.Key), key, Fingerprint(key))
		}
	}
	v.rep.Key, v.rep.Fingerprint = key, Fingerprint(key)
	for _, w := range opts.Witnesses {
		wk, err := ParseWitnessKey(w)
		if err != nil {
			v.fail("", "%v", err)
			continue
		}
		v.wit = append(v.wit, wk)
		if isCosignatureKey(w) {
			v.cosig = append(v.cosig, wk)
			v.rep.Witnesses++
		}
	}
	k, err := ParseKey(key)
	if err != nil {
		v.fail("", "%v", err)
		return
	}
	v.key = k
	if fp := Fingerprint(v.m.Log.Key); v.m.Log.Fingerprint != fp {
		v.fail(FileManifest, "key fingerprint %s, but the key's is %s", v.m.Log.Fingerprint, fp)
	}
}

// trustedKey picks the trusted key to check a bundle of key with: key
// itself, else one of the same name (a new key, or a forgery), else the
// first.
func trustedKey(trusted []string, key string) string {
	for _, t := range trusted {
		if strings.TrimSpace(t) == key {
			return key
		}
	}
	name, _, _ := strings.Cut(key, "+")
	for _, t := range trusted {
		if n, _, _ := strings.Cut(strings.TrimSpace(t), "+"); n == name {
			return strings.TrimSpace(t)
		}
	}
	return strings.TrimSpace(trusted[0])
}
