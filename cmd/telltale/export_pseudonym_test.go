package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/testbed"
)

// TestCLI_Export_Pseudonymise: export --pseudonymise withholds every
// user and device identifier the personal-data page counts (no file of
// the bundle shows one, no withheld body ships), shows a pseudonym
// instead that is the same in a second bundle, keeps the counts
// checkable from the bundle alone (as many distinct pseudonyms in the
// copies as the CLI counts identifiers), lists a salted commitment that
// the key's holder can open, and still verifies.
func TestCLI_Export_Pseudonymise(t *testing.T) {
	s, _, _ := demoRun(t, 4)
	completeCaptures(t, s.Store, testbed.Expected(4))
	flushAnalysis(t, s)
	data := s.Config().DataDir
	var all personalOut
	cliJSON(t, &all, "personal", "--json", "--data", data)
	secret := map[string]bool{}
	for _, id := range all.Identities {
		secret[id.Value] = true
	}
	if len(secret) < 100 {
		t.Fatalf("the demo sent %d identifiers, want hundreds", len(secret))
	}

	dir := t.TempDir()
	bundle := filepath.Join(dir, "p.zip")
	out, errOut, code := cli(t, "export", "-o", bundle, "--data", data, "--pseudonymise")
	if code != 0 || !strings.Contains(out, "pseudonymised") {
		t.Fatalf("export --pseudonymise: exit %d\n%s%s", code, out, errOut)
	}
	key := strings.TrimSpace(string(mustRead(t, filepath.Join(data, "ca", "log.pub"))))
	if out, errOut, code := cli(t, "verify", bundle, "--key", key); code != 0 {
		t.Fatalf("verify: exit %d %s %s", code, out, errOut)
	}
	files := zipFiles(t, bundle)
	token := regexp.MustCompile(`[A-Za-z0-9._@+/=\-]+`)
	for name, b := range files {
		for _, tok := range token.FindAllString(string(b), -1) {
			if secret[tok] || secret[strings.TrimRight(tok, ".")] {
				t.Errorf("%s shows the identifier %q", name, tok)
				break
			}
		}
	}
	var m evidence.Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	if !m.Selection.Pseudonymise {
		t.Error("manifest: selection does not say pseudonymise")
	}
	withheld := 0
	for _, w := range m.Withheld {
		if strings.HasPrefix(w.Reason, evidence.ReasonPseudonymised) {
			withheld++
			if files["bodies/"+w.SHA256] != nil {
				t.Errorf("capture %s %s is withheld but ships as bodies/%s", w.Capture, w.Part, w.SHA256)
			}
		}
	}
	// A body logged unsealed has its plain hash in the leaf: the bundle
	// says so of each, and the exporter counts them.
	unsealed := 0
	for _, w := range m.Withheld {
		if strings.HasPrefix(w.Reason, evidence.ReasonPseudonymised) && strings.Contains(w.Reason, evidence.ReasonUnsealedHash) {
			unsealed++
		}
	}
	if unsealed == 0 || !strings.Contains(out, fmt.Sprintf("note: %d of the bodies that carry them were logged unsealed", unsealed)) {
		t.Errorf("export --pseudonymise: %d bodies withheld with their plain hash in the leaf; the exporter says:\n%s", unsealed, out)
	}
	if !regexp.MustCompile(`withheld \d+ parts \(listed in manifest.json\): capture no\. \d+ `).MatchString(out) {
		t.Errorf("export names the withheld parts' captures otherwise than by number:\n%s", out)
	}
	if withheld < 4*3 { // at least the compliance, usage and CEIP uploads of each day
		t.Errorf("%d bodies withheld as pseudonymised, want every upload that carried identifiers", withheld)
	}

	// The counts, from the bundle alone.
	seen := map[string]bool{}
	pn := regexp.MustCompile(`pn_[a-z_]+_[0-9a-f]{16}`)
	for name, b := range files {
		if strings.HasPrefix(name, evidence.DirRedacted) && strings.Contains(string(b), evidence.FormatPseudonymised) {
			for _, p := range pn.FindAllString(string(b), -1) {
				seen[p] = true
			}
		}
	}
	if len(seen) != all.Counts.Identifiers || len(m.Pseudonyms) != all.Counts.Identifiers {
		t.Errorf("distinct pseudonyms: %d in the copies, %d in the manifest; want the %d identifiers telltale personal counts",
			len(seen), len(m.Pseudonyms), all.Counts.Identifiers)
	}
	// The key's holder can prove who a pseudonym is.
	pkey := mustRead(t, filepath.Join(data, "ca", "pseudonym.key"))
	email := ""
	for _, id := range all.Identities {
		if id.Category == "email" {
			email = id.Value
			break
		}
	}
	name := evidence.Pseudonym(pkey, "email", email)
	i := slices.IndexFunc(m.Pseudonyms, func(p evidence.PseudonymInfo) bool { return p.Pseudonym == name })
	if i < 0 || !seen[name] {
		t.Fatalf("%s's pseudonym %s is not in the bundle", email, name)
	}
	salt := evidence.PseudonymSalt(pkey, "email", email)
	if got := evidence.PseudonymCommitment(salt, "email", email); got != m.Pseudonyms[i].Commitment {
		t.Errorf("commitment of %s: the salt %s opens %s, the manifest says %s", name, hex.EncodeToString(salt), got, m.Pseudonyms[i].Commitment)
	}
	if got := evidence.PseudonymCommitment(salt, "email", "someone.else@corp.example.com"); got == m.Pseudonyms[i].Commitment {
		t.Error("the commitment opens to another value too")
	}

	// Stable: a second bundle shows the same pseudonyms.
	bundle2 := filepath.Join(dir, "p2.zip")
	if _, errOut, code := cli(t, "export", "-o", bundle2, "--data", data, "--pseudonymise", "--host", "cis.citrix.com"); code != 0 {
		t.Fatalf("second export: %s", errOut)
	}
	var m2 evidence.Manifest
	json.Unmarshal(zipFiles(t, bundle2)["manifest.json"], &m2)
	if j := slices.IndexFunc(m2.Pseudonyms, func(p evidence.PseudonymInfo) bool { return p.Pseudonym == name }); j < 0 {
		t.Errorf("%s has another pseudonym in the second bundle", email)
	}
	os.Remove(bundle2)
}
