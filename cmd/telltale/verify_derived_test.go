package main

import (
	"encoding/json"
	"html"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/evidence"
)

// TestCLI_Verify_RemakesFigures: verify makes figures.csv again from the
// bundle's proven captures with the rules of its profile.json; a figure
// changed and the bundle re-signed by the log's key fails, and so does a
// profile changed to match nothing, and report.html with a number of its
// derived block changed.
func TestCLI_Verify_RemakesFigures(t *testing.T) {
	dir, key := outsiderDemo(t)
	bundle := outsiderExport(t, dir, "--no-redact")
	out, errOut, code := cli(t, "verify", bundle, "--key", key)
	if code != 0 || !strings.Contains(out, "  derived     figures.csv and report.html's numbers (figures, personal data) remade from the proven captures with the bundle's profile.json: the same\n") {
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
	wants := map[string]string{
		"a figure":    "FAIL figures.csv: says something other than the proven captures, analysed with the bundle's profile.json, make",
		"the profile": "FAIL figures.csv: says something other than the proven captures, analysed with the bundle's profile.json, make",
		"report.html's personal-data count": "FAIL report.html: its numbers (derived block) are not the ones the proven captures, " +
			"analysed with the bundle's profile.json, make",
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
		"report.html's personal-data count": func(f map[string][]byte) {
			page := string(f[evidence.FileReport])
			block := regexp.MustCompile(`(?s)<pre hidden id="telltale-derived">(.*?)</pre>`).FindStringSubmatch(page)
			if block == nil {
				t.Fatal("report.html has no derived block")
			}
			var d map[string]any
			if err := json.Unmarshal([]byte(html.UnescapeString(block[1])), &d); err != nil {
				t.Fatal(err)
			}
			d["personal"].(map[string]any)["unreadable"] = 7
			edited, _ := json.Marshal(d)
			f[evidence.FileReport] = []byte(strings.Replace(page, block[1], html.EscapeString(string(edited)), 1))
		},
	} {
		changed := readZip(t, bundle)
		change(changed)
		resignManifest(t, changed, signer)
		path := filepath.Join(t.TempDir(), "changed.zip")
		writeZip(t, path, changed)
		out, _, code := cli(t, "verify", path, "--key", key)
		if code != 1 || !strings.Contains(out, wants[name]) {
			t.Errorf("%s changed and re-signed: exit %d\n%s", name, code, out)
		}
	}
	redacted := outsiderExport(t, dir)
	if out, _, code := cli(t, "verify", redacted, "--key", key); code != 0 || !strings.Contains(out, "  derived     not remade: the bundle withholds bodies") &&
		!strings.Contains(out, "  derived     figures.csv remade") {
		t.Errorf("verify of a redacted bundle: exit %d\n%s", code, out)
	}
}

// TestCLI_Verify_OldBundleSaysItPredatesTheIndexLeaf: a bundle made
// before the index was a leaf still verifies, and verify says so.
func TestCLI_Verify_OldBundleSaysItPredatesTheIndexLeaf(t *testing.T) {
	dir := filepath.Join("..", "..", "evidence", "testdata", "v1")
	key := strings.TrimSpace(string(mustRead(t, filepath.Join(dir, "v1.pub"))))
	out, errOut, code := cli(t, "verify", filepath.Join(dir, "v1bundle.zip"), "--key", key)
	if code != 0 || !strings.Contains(out, "  index       this bundle predates the index leaf (an older Telltale)") {
		t.Errorf("verify of a v1 bundle: exit %d\n%s%s", code, out, errOut)
	}
}
