package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/testbed"
)

// TestCLI_Export_Measured: export --measured puts the Historical Use
// export into the bundle as measured.csv and the reconciliation into the
// signed manifest (one real difference found, no false one); the
// bundle's report opens with the position and a one-page summary, names
// what the bundle holds in words, and carries no operator commands; a
// changed reconciliation fails verification.
func TestCLI_Export_Measured(t *testing.T) {
	s, _, rep := demoRun(t, 10)
	completeCaptures(t, s.Store, testbed.Expected(10))
	flushAnalysis(t, s)
	data := s.Config().DataDir
	dir := t.TempDir()
	measured := filepath.Join(dir, "HistoricalUse.csv")
	os.WriteFile(measured, testbed.HistoricalUse(rep, func(day int, id string) int {
		if day == 5 && id == "CAG_AAC_CCU" {
			return 7
		}
		return 0
	}), 0o644)
	bundle := filepath.Join(dir, "b.zip")
	out, errOut, code := cli(t, "export", "-o", bundle, "--data", data, "--measured", measured)
	if code != 0 || !strings.Contains(out, "reconciled "+measured) {
		t.Fatalf("export --measured: exit %d\n%s%s", code, out, errOut)
	}
	key := strings.TrimSpace(string(mustRead(t, filepath.Join(data, "ca", "log.pub"))))
	if out, errOut, code := cli(t, "verify", bundle, "--key", key); code != 0 {
		t.Fatalf("verify: exit %d %s %s", code, out, errOut)
	}
	files := zipFiles(t, bundle)
	if !bytes.Equal(files["measured.csv"], mustRead(t, measured)) {
		t.Errorf("measured.csv: %d bytes, want the %s given", len(files["measured.csv"]), measured)
	}
	var m struct {
		Reconciliation struct {
			Measured   struct{ File, Name, Format string }
			Compared   int
			Agreed     int
			Mismatches []struct{ Date, Name, Kind string }
			Unmatched  []string
		}
		Files []struct{ Name string }
	}
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	r := m.Reconciliation
	day5 := rep.Days[4].UsageDate.Format(time.DateOnly)
	if r.Measured.File != "measured.csv" || r.Measured.Name != "HistoricalUse.csv" || r.Measured.Format != "historical_use" {
		t.Errorf("manifest's measurement: got %+v, want measured.csv from HistoricalUse.csv, read as the Historical Use export", r.Measured)
	}
	if len(r.Mismatches) != 1 || r.Mismatches[0].Date != day5 || r.Mismatches[0].Name != "CAG_AAC_CCU.CountUsedMax" || r.Mismatches[0].Kind != "measured_higher" {
		t.Errorf("manifest's mismatches: got %+v, want exactly CAG_AAC_CCU measured higher on %s", r.Mismatches, day5)
	}
	if r.Compared == 0 || r.Agreed != r.Compared-1 {
		t.Errorf("manifest: %d compared, %d agreed; want all but one to agree", r.Compared, r.Agreed)
	}

	page := parsePage(t, files["report.html"])
	text := string(files["report.html"])
	if i, j := strings.Index(text, `<section id="position">`), strings.Index(text, `<section id="sent">`); i < 0 || j < i {
		t.Errorf("the report does not open with the position (position at %d, sent at %d)", i, j)
	}
	sum := page.sections["position"]
	for _, w := range []string{"Summary: the license position", "HistoricalUse.csv", "differs", "Personal data sent:", "Proven: every capture is under the log's checkpoint"} {
		if !strings.Contains(sum, w) {
			t.Errorf("summary lacks %q:\n%s", w, sum)
		}
	}
	scope := regexp1(t, text, `<dd id="scope">([^<]*)</dd>`)
	if !strings.HasPrefix(scope, "every capture that the log held") || !strings.Contains(scope, "secrets are withheld") || strings.Contains(scope, "redacted") {
		t.Errorf("scope: %q, want it in plain words", scope)
	}
	for _, cmd := range []string{"telltale report", "telltale checkpoint", "telltale export", "--data"} {
		if strings.Contains(text, cmd) {
			t.Errorf("the bundle's report carries an operator command: %q", cmd)
		}
	}

	// The reconciliation is signed: changing it fails verification.
	tampered := filepath.Join(dir, "tampered.zip")
	rewriteZip(t, bundle, tampered, "manifest.json", func(b []byte) []byte {
		return regexp.MustCompile(`"agreed": ?(\d+)`).ReplaceAll(b, []byte(`"agreed": 1$1`))
	})
	if out, _, code := cli(t, "verify", tampered, "--key", key); code == 0 {
		t.Errorf("verify of a bundle whose reconciliation was changed: exit 0\n%s", out)
	}
}

func regexp1(t *testing.T, s, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Errorf("no match of %s", re)
		return ""
	}
	return m[1]
}

// rewriteZip copies a zip, changing one file's bytes.
func rewriteZip(t *testing.T, from, to, name string, change func([]byte) []byte) {
	t.Helper()
	files := zipFiles(t, from)
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, zf := range zr.File {
		b := files[zf.Name]
		if zf.Name == name {
			if nb := change(b); !bytes.Equal(nb, b) {
				b = nb
			} else {
				t.Fatalf("%s: nothing changed", name)
			}
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Deflate, Modified: zf.Modified})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}
