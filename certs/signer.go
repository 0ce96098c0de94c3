package certs

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// OpenSigner loads the evidence log's Ed25519 signing key from dir, or
// creates it on first use (created=true) under the given note name, such as
// "telltale/<hostname>". The files are log.key (0600, the note
// "PRIVATE+KEY+..." string) and log.pub (0644, the verifier key string,
// which is also returned). On reload the stored key is used, name is
// ignored (the signer's name comes from the file), and a missing log.pub is
// rewritten from the key. dir is created 0700 if needed.
func OpenSigner(dir, name string) (signer note.Signer, verifierKey string, created bool, err error) {
	if err := ensureDir(dir); err != nil {
		return nil, "", false, fmt.Errorf("open log signer: %w", err)
	}
	keyPath, pubPath := filepath.Join(dir, logKeyFile), filepath.Join(dir, logPubFile)
	haveKey, err := exists(keyPath)
	if err != nil {
		return nil, "", false, fmt.Errorf("open log signer: %w", err)
	}
	if haveKey {
		signer, verifierKey, err = loadSigner(keyPath, pubPath)
		if err != nil {
			return nil, "", false, fmt.Errorf("open log signer: %w", err)
		}
		return signer, verifierKey, false, nil
	}
	havePub, err := exists(pubPath)
	if err != nil {
		return nil, "", false, fmt.Errorf("open log signer: %w", err)
	}
	if havePub {
		// Verifiers may already trust log.pub; make the operator decide
		// rather than silently replacing it.
		return nil, "", false, fmt.Errorf("open log signer: %s exists without %s; restore the key or move %s away",
			pubPath, logKeyFile, logPubFile)
	}
	signer, verifierKey, err = createSigner(keyPath, pubPath, name)
	if err != nil {
		return nil, "", false, fmt.Errorf("create log signer: %w", err)
	}
	return signer, verifierKey, true, nil
}

func createSigner(keyPath, pubPath, name string) (note.Signer, string, error) {
	if name == "" {
		return nil, "", errors.New("empty key name")
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return nil, "", fmt.Errorf("generate key %q: %w", name, err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("generate key %q: %w", name, err)
	}
	if err := writeFileAtomic(keyPath, []byte(skey+"\n"), keyPerm); err != nil {
		return nil, "", err
	}
	if err := writeFileAtomic(pubPath, []byte(vkey+"\n"), publicPerm); err != nil {
		return nil, "", err
	}
	return signer, vkey, nil
}

// loadSigner reads log.key, derives the verifier key from it and checks that
// log.pub says the same (or writes log.pub if it is missing).
func loadSigner(keyPath, pubPath string) (note.Signer, string, error) {
	b, err := readKeyFile(keyPath)
	if err != nil {
		return nil, "", err
	}
	skey := strings.TrimSpace(string(b))
	signer, err := note.NewSigner(skey)
	if err != nil {
		// note's errors describe the format, never the key bytes.
		return nil, "", fmt.Errorf("parse %s: %w", keyPath, err)
	}
	vkey, err := verifierKeyOf(skey, signer.Name())
	if err != nil {
		return nil, "", fmt.Errorf("parse %s: %w", keyPath, err)
	}
	havePub, err := exists(pubPath)
	if err != nil {
		return nil, "", err
	}
	if !havePub {
		if err := writeFileAtomic(pubPath, []byte(vkey+"\n"), publicPerm); err != nil {
			return nil, "", err
		}
		return signer, vkey, nil
	}
	pub, err := readFile(pubPath)
	if err != nil {
		return nil, "", err
	}
	if strings.TrimSpace(string(pub)) != vkey {
		return nil, "", fmt.Errorf("%s does not match %s", pubPath, keyPath)
	}
	return signer, vkey, nil
}

// verifierKeyOf derives the verifier key from a note signer key
// "PRIVATE+KEY+<name>+<hash>+<base64(alg || seed)>"; note.NewSigner has
// already validated it.
func verifierKeyOf(skey, name string) (string, error) {
	fields := strings.SplitN(skey, "+", 5)
	if len(fields) != 5 {
		return "", errors.New("malformed signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(fields[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("not an Ed25519 signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(name, pub)
}
