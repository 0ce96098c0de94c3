package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/evidence"
)

// Both verifiers, `telltale verify --key` and the outsider's, on the parts
// of a bundle the --no-redact tamper cases never reach: redacted copies
// and withheld entries, checkpoints.jsonl, timestamps and
// capture-index.json, each changed and the bundle re-signed with the
// log's own key, as its holder could. Each must fail for the reason the
// change gives, not for another (a missing --key always fails).

type tamperCase struct {
	name   string
	edit   func(t *testing.T, files map[string][]byte)
	goWant string // a line of `telltale verify`'s output
	pyWant string // in the outsider verifier's FAIL line
}

func TestVerifiers_RejectTamperedRedactedBundles(t *testing.T) {
	py := outsiderPython(t)
	dir, key := outsiderDemo(t)
	signer := demoSigner(t, dir)
	orig := readZip(t, outsiderExport(t, dir)) // redacted: the default
	checkTamper(t, py, key, signer, orig, []tamperCase{
		{"a redacted copy says [REVEALED]", flipRedactedCopy,
			"capture 1, record 1: body: the manifest lists redacted/", "FAIL record 1: redacted copy is not the one the seal names"},
		{"a withheld part's hash in a record changed", editWithheldHash,
			"FAIL captures.jsonl line 1, capture 1, record 1: withheld request head: SHA-256 0000000000000000000000000000000000000000000000000000000000000000, but the leaf says ",
			"FAIL record 1: withheld head is not the leaf's"},
		{"the manifest's withheld list shortened", dropManifestWithheld,
			"FAIL manifest.json: its withheld list is not the one captures.jsonl gives", "FAIL manifest.json withheld is not the records'"},
		{"a checkpoints.jsonl proof hash changed", editCheckpointsProof,
			"FAIL checkpoints.jsonl line 1: checkpoint 1 (tree size ", "FAIL checkpoints.jsonl line 1: not extended by checkpoint.txt (FORKED or edited)"},
		{"a timestamp's imprint changed", editTimestampImprint,
			"FAIL timestamps/1.tsr: timestamp does not verify: ", "FAIL timestamps/1.tsr is not over checkpoint 1's note"},
		// The outsider checks a timestamp's imprint only; README.txt has
		// openssl ts -verify check the TSA's signature (TestReadme_
		// TimestampCommandsWork in evidence/ runs it).
		{"a timestamp's signature byte flipped", flipTimestamp, "FAIL timestamps/1.tsr: timestamp does not verify: x509: ECDSA verification failure", ""},
		{"a record's inclusion proof changed", editProof,
			"FAIL captures.jsonl line 1, capture 1, record 1: inclusion proof does not lead to the checkpoint's root: ",
			"FAIL record 1: not under the checkpoint root"},
		{"capture-index.json: a capture left out of a host", dropIndexSeq,
			"FAIL capture-index.json: does not carry the index record the checkpoint ends with", "FAIL capture-index.json is not the index the checkpoint signs"},
	})
}

// checkTamper applies each case to a copy of orig, re-signs it with
// signer and runs both verifiers with --key.
func checkTamper(t *testing.T, py, key string, signer note.Signer, orig map[string][]byte, cases []tamperCase) {
	t.Helper()
	// Re-signed unchanged, the bundle verifies: a failure below is the
	// change's.
	same := filepath.Join(t.TempDir(), "same.zip")
	files := maps.Clone(orig)
	resignManifest(t, files, signer)
	writeZip(t, same, files)
	if out, errOut, code := cli(t, "verify", same, "--key", key); code != 0 {
		t.Fatalf("telltale verify of the re-signed bundle: exit %d:\n%s%s", code, out, errOut)
	}
	if code, out := runOutsider(t, py, same, key); code != 0 {
		t.Fatalf("outsider verifier of the re-signed bundle: exit %d:\n%s", code, out)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := maps.Clone(orig)
			tc.edit(t, files)
			resignManifest(t, files, signer)
			bundle := filepath.Join(t.TempDir(), "t.zip")
			writeZip(t, bundle, files)
			out, errOut, code := cli(t, "verify", bundle, "--key", key)
			if code != 1 || !hasLine(out, tc.goWant) || !strings.Contains(errOut, "verification failed") {
				t.Errorf("telltale verify --key: exit %d, want 1 with a line holding %q:\n%s%s", code, tc.goWant, out, errOut)
			}
			if tc.pyWant == "" {
				return
			}
			pcode, pout := runOutsider(t, py, bundle, key)
			if pcode != 1 || !strings.Contains(failLine(pout), tc.pyWant) {
				t.Errorf("outsider verifier: exit %d, want 1 with a FAIL line holding %q:\n%s", pcode, tc.pyWant, pout)
			}
		})
	}
}

func demoSigner(t *testing.T, dir string) note.Signer {
	t.Helper()
	signer, _, _, err := certs.OpenSigner(filepath.Join(dir, "ca"), "")
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

// hasLine reports whether a line of out holds want.
func hasLine(out, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, want) {
			return true
		}
	}
	return false
}

// failLine is the outsider verifier's FAIL line, or "".
func failLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "FAIL ") {
			return l
		}
	}
	return ""
}

func flipRedactedCopy(t *testing.T, files map[string][]byte) {
	for _, n := range sortedNames(files) {
		if strings.HasPrefix(n, evidence.DirRedacted) {
			b := bytes.Clone(files[n])
			i := bytes.Index(b, []byte(evidence.Redacted))
			if i < 0 {
				t.Fatalf("%s holds no %s", n, evidence.Redacted)
			}
			copy(b[i:], "[REVEALED]") // what a forger would want it to say
			files[n] = b
			return
		}
	}
	t.Fatal("no redacted copy in the bundle")
}

// editWithheldHash changes the SHA-256 of the first withheld request head
// in captures.jsonl.
func editWithheldHash(t *testing.T, files map[string][]byte) {
	lines := strings.SplitAfter(string(files[evidence.FileCaptures]), "\n")
	for i, l := range lines {
		var line map[string]any
		if json.Unmarshal([]byte(l), &line) != nil {
			continue
		}
		for _, r := range line["records"].([]any) {
			ws, _ := r.(map[string]any)["withheld"].([]any)
			for _, w := range ws {
				w := w.(map[string]any)
				if w["part"] == "request head" {
					s := w["sha256"].(string)
					w["sha256"] = strings.Repeat("0", len(s))
					b, _ := json.Marshal(line)
					lines[i] = string(b) + "\n"
					files[evidence.FileCaptures] = []byte(strings.Join(lines, ""))
					return
				}
			}
		}
	}
	t.Fatal("no withheld request head in captures.jsonl")
}

// editProof flips a bit of the first hash of record 1's inclusion proof.
func editProof(t *testing.T, files map[string][]byte) {
	first, rest, _ := strings.Cut(string(files[evidence.FileCaptures]), "\n")
	var line evidence.Line
	if err := json.Unmarshal([]byte(first), &line); err != nil {
		t.Fatal(err)
	}
	if line.Records[0].Seq != 1 || len(line.Records[0].Proof) == 0 {
		t.Fatalf("the first record is record %d with %d proof hashes", line.Records[0].Seq, len(line.Records[0].Proof))
	}
	line.Records[0].Proof[0][0] ^= 1
	b, _ := json.Marshal(line)
	files[evidence.FileCaptures] = []byte(string(b) + "\n" + rest)
}

func dropManifestWithheld(t *testing.T, files map[string][]byte) {
	var m map[string]any
	if err := json.Unmarshal(files[evidence.FileManifest], &m); err != nil {
		t.Fatal(err)
	}
	w, _ := m["withheld"].([]any)
	if len(w) < 2 {
		t.Fatalf("manifest lists %d withheld parts, want two or more", len(w))
	}
	m["withheld"] = w[1:]
	files[evidence.FileManifest], _ = json.Marshal(m)
}

// editCheckpointsProof changes one hash of the first consistency proof in
// checkpoints.jsonl.
func editCheckpointsProof(t *testing.T, files map[string][]byte) {
	first, rest, _ := strings.Cut(string(files[evidence.FileCheckpoints]), "\n")
	var cl evidence.CheckpointLine
	if err := json.Unmarshal([]byte(first), &cl); err != nil {
		t.Fatal(err)
	}
	if len(cl.Proof) == 0 {
		t.Fatal("the first earlier checkpoint has an empty consistency proof")
	}
	cl.Proof[0][0] ^= 1
	b, _ := json.Marshal(cl)
	files[evidence.FileCheckpoints] = []byte(string(b) + "\n" + rest)
}

// flipTimestamp flips a byte of timestamps/1.tsr's signature, its last
// bytes.
func flipTimestamp(t *testing.T, files map[string][]byte) {
	b := bytes.Clone(files["timestamps/1.tsr"])
	if len(b) < 100 {
		t.Fatalf("timestamps/1.tsr: %d bytes", len(b))
	}
	b[len(b)-40] ^= 1
	files["timestamps/1.tsr"] = b
}

// editTimestampImprint changes the SHA-256 of checkpoint 1's note that
// timestamps/1.tsr stamps.
func editTimestampImprint(t *testing.T, files map[string][]byte) {
	first, _, _ := strings.Cut(string(files[evidence.FileCheckpoints]), "\n")
	var cl evidence.CheckpointLine
	if err := json.Unmarshal([]byte(first), &cl); err != nil {
		t.Fatal(err)
	}
	imprint := sha256.Sum256([]byte(cl.Note))
	b := bytes.Clone(files["timestamps/1.tsr"])
	i := bytes.Index(b, imprint[:])
	if cl.Index != 1 || i < 0 {
		t.Fatalf("timestamps/1.tsr does not hold the SHA-256 of checkpoint %d's note", cl.Index)
	}
	b[i] ^= 1
	files["timestamps/1.tsr"] = b
}

// dropIndexSeq leaves the first capture of las.cloud.com out of the
// capture index, its hash recomputed: the checkpoint's index line no
// longer matches.
func dropIndexSeq(t *testing.T, files map[string][]byte) {
	var ci evidence.CaptureIndex
	if err := json.Unmarshal(files[evidence.FileIndex], &ci); err != nil {
		t.Fatal(err)
	}
	for i, h := range ci.Hosts {
		if h.Host == "las.cloud.com" && len(h.Seqs) > 1 {
			ci.Hosts[i].Seqs, ci.Hosts[i].Times, ci.Hosts[i].Count = h.Seqs[1:], h.Times[1:], h.Count-1
			root := evidence.ListRoot(h.Seqs[1:], h.Times[1:])
			ci.Hosts[i].Hash = hex.EncodeToString(root[:])
			files[evidence.FileIndex], _ = json.Marshal(ci)
			return
		}
	}
	t.Fatal("no las.cloud.com captures in capture-index.json")
}

// TestVerifiers_RejectABundleWithADroppedCapture: a host bundle with one
// capture left out, and everything else made consistent with that (the
// HAR, summary.csv, counts and withheld list, from a bundle of the other
// ids), re-signed: only the signed capture index shows the gap.
func TestVerifiers_RejectABundleWithADroppedCapture(t *testing.T) {
	py := outsiderPython(t)
	dir, key := outsiderDemo(t)
	signer := demoSigner(t, dir)
	const host = "las.cloud.com"
	whole := readZip(t, outsiderExport(t, dir, "--host", host))
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(string(whole[evidence.FileCaptures])), "\n") {
		var line evidence.Line
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, line.ID)
	}
	if len(ids) < 3 {
		t.Fatalf("%d captures of %s, want three or more", len(ids), host)
	}
	dropped := ids[1]
	part := readZip(t, outsiderExport(t, dir, "--id", strings.Join(append(ids[:1:1], ids[2:]...), ",")))
	part[evidence.FileIndex] = whole[evidence.FileIndex]
	var m, wm map[string]any
	json.Unmarshal(part[evidence.FileManifest], &m)
	json.Unmarshal(whole[evidence.FileManifest], &wm)
	m["selection"] = wm["selection"]
	part[evidence.FileManifest], _ = json.Marshal(m)
	resignManifest(t, part, signer)
	bundle := filepath.Join(t.TempDir(), "dropped.zip")
	writeZip(t, bundle, part)

	out, errOut, code := cli(t, "verify", bundle, "--key", key)
	want := "FAIL capture-index.json: the signed capture index lists captures of the selection that the bundle leaves out: " + dropped
	if code != 1 || !hasLine(out, want) {
		t.Errorf("telltale verify --key: exit %d, want 1 with %q:\n%s%s", code, want, out, errOut)
	}
	pcode, pout := runOutsider(t, py, bundle, key)
	if pcode != 1 || !strings.Contains(failLine(pout), "host '"+host+"': the bundle has captures") {
		t.Errorf("outsider verifier: exit %d, want 1 naming the host's captures:\n%s", pcode, pout)
	}
}
