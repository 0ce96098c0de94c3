package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestVerifyBundle_OwnKeyProvesNothing: a forgery signed with a fresh key
// of the genuine key's name checks out against its own key; without a
// trusted key that must fail, and with the genuine key it does.
func TestVerifyBundle_OwnKeyProvesNothing(t *testing.T) {
	st, k := newSecrets(t)
	genuine := export(t, st, k, Selection{})
	forger := newTestKey(t, "telltale/secrets")
	fst := mustOpen(t, t.TempDir(), storeOptions())
	exchange(t, fst, 1)
	signTree(t, fst, forger)
	forged := export(t, fst, forger, Selection{})

	rep := verifyBundle(t, forged, "")
	wantFindings(t, rep.Failures, fmt.Sprintf("signature checks out against the bundle's own key, which proves nothing: "+
		"pass --key with the log.pub line you recorded (this bundle's key is %s, fingerprint %s)", forger.vkey, Fingerprint(forger.vkey)))
	if rep.KeyPinned {
		t.Error("the bundle's own key reported as pinned")
	}
	if rep := verifyBundle(t, forged, k.vkey); rep.OK() {
		t.Error("a forgery under the genuine key's name verified with the genuine key")
	}
	other := newTestKey(t, "telltale/other")
	rep, err := VerifyBundle(context.Background(), bytes.NewReader(genuine), int64(len(genuine)),
		BundleOptions{Keys: []string{other.vkey, k.vkey}})
	if err != nil || !rep.OK() || !rep.KeyPinned || rep.Key != k.vkey {
		t.Errorf("genuine bundle, the right key among two trusted: err %v ok %v key %s: %v", err, rep.OK(), rep.Key, findingStrings(rep.Failures))
	}
}

// TestVerifyBundle_SignatureLines: each signature line on a note is the
// log key's or a listed witness's, verifies, appears once and is in
// canonical base64.
func TestVerifyBundle_SignatureLines(t *testing.T) {
	st, k := newSecrets(t)
	names, files := unzip(t, export(t, st, k, Selection{}))
	w := newTestKey(t, "telltale/witness")
	text := manifestNote(sumHex(files[FileManifest]))
	cosigned, err := note.Sign(&note.Note{Text: text}, k.signer, w.signer)
	if err != nil {
		t.Fatal(err)
	}
	byWitness, _ := note.Sign(&note.Note{Text: text}, w.signer)
	wrongText, _ := note.Sign(&note.Note{Text: text + "x\n"}, w.signer)
	badWitness := append(bytes.Clone(files[FileManifestSig]), sigLines(wrongText)...)
	dup := append(bytes.Clone(files[FileManifestSig]), sigLines(files[FileManifestSig])...)
	lh, wh := k.signer.KeyHash(), w.signer.KeyHash()
	cases := []struct {
		name      string
		sig       []byte
		witnesses []string
		want      string // "" verifies
	}{
		{"cosigned, witness listed", cosigned, []string{w.vkey}, ""},
		{"cosigned, witness not listed", cosigned, nil, fmt.Sprintf("manifest.sig: also signed by telltale/witness+%08x, "+
			"a key that is neither the log's nor a witness's (list it with --witness, or drop the line): bad signature", wh)},
		{"a witness's signature that does not verify", badWitness, []string{w.vkey},
			fmt.Sprintf("manifest.sig: signature by telltale/witness+%08x does not verify: bad signature", wh)},
		{"signed by the witness alone", byWitness, []string{w.vkey},
			fmt.Sprintf("manifest.sig: signed only by witnesses, not by the log key telltale/secrets+%08x: signed by another key", lh)},
		{"a repeated signature line", dup, nil, "manifest.sig: 2 signature lines for 1 signatures (a line is repeated): bad signature"},
		{"non-canonical base64", uncanonical(t, files[FileManifestSig]), nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			changed := maps.Clone(files)
			changed[FileManifestSig] = tc.sig
			b := rezip(t, names, changed)
			rep, err := VerifyBundle(context.Background(), bytes.NewReader(b), int64(len(b)),
				BundleOptions{Keys: []string{k.vkey}, Witnesses: tc.witnesses})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.name == "non-canonical base64":
				if len(rep.Failures) != 1 || !strings.Contains(rep.Failures[0].String(), "is not in canonical base64: bad signature") {
					t.Errorf("got %v, want one failure: not in canonical base64", findingStrings(rep.Failures))
				}
			case tc.want == "":
				wantFindings(t, rep.Failures)
			default:
				wantFindings(t, rep.Failures, tc.want)
			}
		})
	}
}

// sigLines is the signature block of a signed note.
func sigLines(msg []byte) []byte {
	return msg[bytes.LastIndex(msg, []byte("\n\n"))+2:]
}

// uncanonical sets the padding bits of a note's signature, which
// base64.StdEncoding ignores when it decodes.
func uncanonical(t *testing.T, msg []byte) []byte {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	out := bytes.Clone(msg)
	i := bytes.LastIndexByte(out, '=') - 1 // the 68-byte signature ends "X=": X has 2 padding bits
	if i < 0 || out[i+2] != '\n' {
		t.Fatalf("signature does not end in one '=': %q", out)
	}
	out[i] = alphabet[strings.IndexByte(alphabet, out[i])|1]
	if bytes.Equal(out, msg) {
		t.Fatal("padding bits already set")
	}
	return out
}

// TestVerifyBundle_CheckpointSignedByAnUnknownKey: the strict reading
// covers the checkpoint too, and a failed checkpoint signature ends the
// verification.
func TestVerifyBundle_CheckpointSignedByAnUnknownKey(t *testing.T) {
	st, k := newSecrets(t)
	names, files := unzip(t, export(t, st, k, Selection{}))
	w := newTestKey(t, "telltale/witness")
	n, err := note.Open(files[FileCheckpoint], note.VerifierList(k.verifier(t)))
	if err != nil {
		t.Fatal(err)
	}
	files[FileCheckpoint], _ = note.Sign(&note.Note{Text: n.Text}, k.signer, w.signer)
	rep := verifyBundle(t, resign(t, k, names, files), k.vkey)
	wantFindings(t, rep.Failures, fmt.Sprintf("checkpoint.txt: also signed by telltale/witness+%08x, a key that is neither "+
		"the log's nor a witness's (list it with --witness, or drop the line): bad signature", w.signer.KeyHash()))
	if rep.Captures != 0 {
		t.Errorf("checked %d captures after the checkpoint failed", rep.Captures)
	}
	var m Manifest
	json.Unmarshal(files[FileManifest], &m)
	b := resign(t, k, names, files)
	rep, _ = VerifyBundle(context.Background(), bytes.NewReader(b), int64(len(b)),
		BundleOptions{Keys: []string{k.vkey}, Witnesses: []string{w.vkey}})
	if !rep.OK() || rep.Captures != m.Captures {
		t.Errorf("with the witness listed: ok %v, %d captures: %v", rep.OK(), rep.Captures, findingStrings(rep.Failures))
	}
}
