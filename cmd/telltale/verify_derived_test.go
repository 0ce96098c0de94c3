package main

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/testbed"
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
	if code != 0 || !strings.Contains(out, "  derived     figures.csv and report.html's numbers (figures, personal data, position) remade from the proven captures with the bundle's profile.json and licenses.json: the same\n") {
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
		"report.html's peak":         "FAIL report.html: its numbers (derived block) are not the ones the proven captures",
		"report.html's overuse days": "FAIL report.html: its numbers (derived block) are not the ones the proven captures",
		"the entitlements":           "FAIL report.html: its numbers (derived block) are not the ones the proven captures",
		"licenses.json left out":     "FAIL report.html: its derived block holds a position, but the bundle carries no licenses.json",
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
			editDerived(t, f, func(d map[string]any) { d["personal"].(map[string]any)["unreadable"] = 7 })
		},
		"report.html's peak": func(f map[string][]byte) {
			editDerived(t, f, func(d map[string]any) {
				peak := d["position"].(map[string]any)["licenses"].([]any)[0].(map[string]any)["peak"].(map[string]any)
				peak["value"] = peak["value"].(float64) + 1
			})
		},
		"report.html's overuse days": func(f map[string][]byte) {
			editDerived(t, f, func(d map[string]any) {
				over := d["position"].(map[string]any)["licenses"].([]any)[0].(map[string]any)["overuse"].(map[string]any)
				over["days"] = over["days"].(float64) + 1
			})
		},
		"the entitlements": func(f map[string][]byte) {
			var basis map[string]any
			if err := json.Unmarshal(f[evidence.FileLicenses], &basis); err != nil {
				t.Fatal(err)
			}
			basis["entitlements"] = []any{map[string]any{"license": "XDT_PLT_UD", "quantity": 1}}
			f[evidence.FileLicenses], _ = json.Marshal(basis)
		},
		"licenses.json left out": func(f map[string][]byte) { delete(f, evidence.FileLicenses) },
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
	older := readZip(t, bundle) // as an export before licenses.json made it
	delete(older, evidence.FileLicenses)
	editDerived(t, older, func(d map[string]any) { delete(d, "position") })
	resignManifest(t, older, signer)
	path := filepath.Join(t.TempDir(), "older.zip")
	writeZip(t, path, older)
	if out, _, code := cli(t, "verify", path, "--key", key); code != 0 || !strings.Contains(out, "position not recomputed: bundle predates it") {
		t.Errorf("verify of a bundle without licenses.json: exit %d\n%s", code, out)
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

// editDerived changes the derived block of the bundle's report.html.
func editDerived(t *testing.T, f map[string][]byte, change func(map[string]any)) {
	t.Helper()
	page := string(f[evidence.FileReport])
	block := regexp.MustCompile(`(?s)<pre hidden id="telltale-derived">(.*?)</pre>`).FindStringSubmatch(page)
	if block == nil {
		t.Fatal("report.html has no derived block")
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(html.UnescapeString(block[1])), &d); err != nil {
		t.Fatal(err)
	}
	change(d)
	edited, _ := json.Marshal(d)
	f[evidence.FileReport] = []byte(strings.Replace(page, block[1], html.EscapeString(string(edited)), 1))
}

// TestCLI_Verify_RemakesReconciliation: a bundle exported with
// --measured verifies with its reconciliation worked out again from
// measured.csv as licenses.json says to read it; a reconciliation row of
// report.html's derived block changed, or the tolerance, and the bundle
// re-signed, fails.
func TestCLI_Verify_RemakesReconciliation(t *testing.T) {
	s, _, rep := demoRun(t, 10)
	completeCaptures(t, s.Store, testbed.Expected(10))
	flushAnalysis(t, s)
	data := s.Config().DataDir
	measured := filepath.Join(t.TempDir(), "HistoricalUse.csv")
	os.WriteFile(measured, testbed.HistoricalUse(rep, func(day int, id string) int {
		if day == 5 && id == "CAG_AAC_CCU" {
			return 7
		}
		return 0
	}), 0o644)
	bundle := filepath.Join(t.TempDir(), "b.zip")
	if out, errOut, code := cli(t, "export", "-o", bundle, "--data", data, "--measured", measured, "--no-redact"); code != 0 {
		t.Fatalf("export --measured: exit %d\n%s%s", code, out, errOut)
	}
	key := strings.TrimSpace(string(mustRead(t, filepath.Join(data, "ca", "log.pub"))))
	out, errOut, code := cli(t, "verify", bundle, "--key", key)
	if code != 0 || !strings.Contains(out, "(figures, personal data, position, reconciliation with measured.csv, as manifest.json has it too) remade from the proven captures "+
		"with the bundle's profile.json and licenses.json: the same\n") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}
	signer, _, _, err := certs.OpenSigner(filepath.Join(data, "ca"), "")
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(map[string][]byte){
		"a reconciliation row": func(f map[string][]byte) {
			editDerived(t, f, func(d map[string]any) {
				rows := d["reconciliation"].(map[string]any)["rows"].([]any)
				row := rows[len(rows)-1].(map[string]any)
				row["measured"] = row["measured"].(float64) + 3
			})
		},
		"the manifest's mismatch": func(f map[string][]byte) {
			var m map[string]any
			if err := json.Unmarshal(f[evidence.FileManifest], &m); err != nil {
				t.Fatal(err)
			}
			rec := m["reconciliation"].(map[string]any)
			rec["mismatches"] = []any{}
			rec["agreed"] = rec["compared"]
			f[evidence.FileManifest], _ = json.Marshal(m)
		},
		"the tolerance": func(f map[string][]byte) {
			var basis map[string]any
			if err := json.Unmarshal(f[evidence.FileLicenses], &basis); err != nil {
				t.Fatal(err)
			}
			basis["measured"].(map[string]any)["tolerance"] = map[string]any{"abs": 10}
			f[evidence.FileLicenses], _ = json.Marshal(basis)
		},
	} {
		changed := readZip(t, bundle)
		change(changed)
		resignManifest(t, changed, signer)
		path := filepath.Join(t.TempDir(), "changed.zip")
		writeZip(t, path, changed)
		out, _, code := cli(t, "verify", path, "--key", key)
		want := "FAIL report.html: its numbers (derived block) are not the ones the proven captures"
		if name == "the manifest's mismatch" {
			want = "FAIL manifest.json: its reconciliation is not the one the proven captures' figures and measured.csv"
		}
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("%s changed and re-signed: exit %d\n%s", name, code, out)
		}
	}
}

// TestCLI_Verify_RemakesPositionWithEntitlements: a bundle exported with
// a config whose licenses section renames a product and grants fewer
// licenses than in use, and with the demo's Historical Use export,
// carries them in licenses.json and verifies with its position (a
// license over on 3 days) and reconciliation worked out again; the
// overuse day count, a reconciliation row or the entitlement's quantity
// changed and the bundle re-signed fails.
func TestCLI_Verify_RemakesPositionWithEntitlements(t *testing.T) {
	dir, key := outsiderDemo(t)
	config := filepath.Join(t.TempDir(), "telltale.yaml")
	os.WriteFile(config, append(mustRead(t, filepath.Join(dir, "demo.yaml")), `
licenses:
  products:
    - {code: XDT, name: Virtual Apps and Desktops (as we call it)}
  entitlements:
    - {license: XDT_PLT_CCS, quantity: 100, overdraft: 10}
`...), 0o644)
	bundle := outsiderExport(t, dir, "--no-redact", "-c", config, "--measured", filepath.Join(dir, "historical-use.csv"))
	out, errOut, code := cli(t, "verify", bundle, "--key", key)
	if code != 0 || !strings.Contains(out, "(figures, personal data, position, reconciliation with measured.csv, as manifest.json has it too) remade") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}
	files := readZip(t, bundle)
	var basis struct {
		Products     []struct{ Code, Name string }
		Entitlements []struct {
			License  string
			Quantity float64
		}
	}
	if err := json.Unmarshal(files[evidence.FileLicenses], &basis); err != nil {
		t.Fatal(err)
	}
	if len(basis.Products) != 1 || basis.Products[0].Code != "XDT" || len(basis.Entitlements) != 1 || basis.Entitlements[0].Quantity != 100 {
		t.Fatalf("licenses.json: %s", files[evidence.FileLicenses])
	}
	var over map[string]any
	editDerived(t, files, func(d map[string]any) {
		over = d["position"].(map[string]any)["licenses"].([]any)[0].(map[string]any)
	})
	if over["code"] != "XDT_PLT_CCS" || over["status"] != "over" || over["overuse"].(map[string]any)["days"] != 3.0 {
		t.Fatalf("the position's first license: %v", over)
	}
	signer, _, _, err := certs.OpenSigner(filepath.Join(dir, "ca"), "")
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(map[string][]byte){
		"the overuse days": func(f map[string][]byte) {
			editDerived(t, f, func(d map[string]any) {
				d["position"].(map[string]any)["licenses"].([]any)[0].(map[string]any)["overuse"].(map[string]any)["days"] = 2
			})
		},
		"a reconciliation row": func(f map[string][]byte) {
			editDerived(t, f, func(d map[string]any) {
				row := d["reconciliation"].(map[string]any)["rows"].([]any)[0].(map[string]any)
				row["status"] = "reported_higher"
			})
		},
		"the quantity": func(f map[string][]byte) {
			f[evidence.FileLicenses] = []byte(strings.Replace(string(f[evidence.FileLicenses]), `"quantity":100`, `"quantity":300`, 1))
		},
	} {
		changed := readZip(t, bundle)
		change(changed)
		resignManifest(t, changed, signer)
		path := filepath.Join(t.TempDir(), "changed.zip")
		writeZip(t, path, changed)
		out, _, code := cli(t, "verify", path, "--key", key)
		if code != 1 || !strings.Contains(out, "FAIL report.html: its numbers (derived block) are not the ones the proven captures") {
			t.Errorf("%s changed and re-signed: exit %d\n%s", name, code, out)
		}
	}
}
