package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/evidence"
)

// TestCLI_Verify_RemakesFigures: verify makes figures.csv again from the
// bundle's proven captures with the rules of its profile.json; a figure
// changed and the bundle re-signed by the log's key fails, and so does a
// profile changed to match nothing.
func TestCLI_Verify_RemakesFigures(t *testing.T) {
	dir, key := outsiderDemo(t)
	bundle := outsiderExport(t, dir, "--no-redact")
	out, errOut, code := cli(t, "verify", bundle, "--key", key)
	if code != 0 || !strings.Contains(out, "  derived     figures.csv remade from the proven captures with the bundle's profile.json: the same\n") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}
	files := readZip(t, bundle)
	if !strings.Contains(string(files[evidence.FileProfile]), `"Endpoints"`) {
		t.Fatalf("profile.json: %.300s", files[evidence.FileProfile])
	}
	signer, _, _, err := certs.OpenSigner(filepath.Join(dir, "ca"), "")
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(map[string][]byte){
		"a figure": func(f map[string][]byte) {
			lines := strings.SplitAfter(string(f[evidence.FileFigures]), "\n")
			cells := strings.Split(lines[1], ",")
			cells[2] += "1" // the value
			lines[1] = strings.Join(cells, ",")
			f[evidence.FileFigures] = []byte(strings.Join(lines, ""))
		},
		"the profile": func(f map[string][]byte) {
			f[evidence.FileProfile] = []byte(`{"HeuristicFigures":false}` + "\n")
		},
	} {
		changed := readZip(t, bundle)
		change(changed)
		resignManifest(t, changed, signer)
		path := filepath.Join(t.TempDir(), "changed.zip")
		writeZip(t, path, changed)
		out, _, code := cli(t, "verify", path, "--key", key)
		if code != 1 || !strings.Contains(out, "FAIL figures.csv: says something other than the proven captures, analysed with the bundle's profile.json, make") {
			t.Errorf("%s changed and re-signed: exit %d\n%s", name, code, out)
		}
	}
	redacted := outsiderExport(t, dir)
	if out, _, code := cli(t, "verify", redacted, "--key", key); code != 0 || !strings.Contains(out, "  derived     not remade: the bundle withholds bodies") &&
		!strings.Contains(out, "  derived     figures.csv remade") {
		t.Errorf("verify of a redacted bundle: exit %d\n%s", code, out)
	}
}
