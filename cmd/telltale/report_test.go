package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/telltale/telltale/internal/testtool"
	"github.com/telltale/telltale/testbed"
)

// page is a parsed report: its sections' texts by id, and what a
// self-contained page must not have.
type page struct {
	sections map[string]string
	svgs     int
	scripts  []string // <script>, on* handlers, javascript: links
	external []string // src/href to anything outside the page
}

func parsePage(t *testing.T, b []byte) page {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("report is not HTML: %v", err)
	}
	p := page{sections: map[string]string{}}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			p.element(n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return p
}

func (p *page) element(n *html.Node) {
	switch n.Data {
	case "script", "iframe", "object", "embed", "link":
		p.scripts = append(p.scripts, "<"+n.Data+">")
	case "svg":
		p.svgs++
	case "section":
		for _, a := range n.Attr {
			if a.Key == "id" {
				p.sections[a.Val] = textOf(n)
			}
		}
	}
	for _, a := range n.Attr {
		v := strings.ToLower(strings.TrimSpace(a.Val))
		switch {
		case strings.HasPrefix(a.Key, "on"), strings.HasPrefix(v, "javascript:"):
			p.scripts = append(p.scripts, a.Key+"="+a.Val)
		case (a.Key == "src" || a.Key == "href") && !strings.HasPrefix(v, "#"):
			p.external = append(p.external, a.Key+"="+a.Val)
		}
	}
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// checkSelfContained fails a page with a script or an outside reference.
func checkSelfContained(t *testing.T, what string, p page) {
	t.Helper()
	if len(p.scripts) > 0 || len(p.external) > 0 {
		t.Errorf("%s: want no script and no outside reference; got %v %v", what, p.scripts, p.external)
	}
}

// TestCLI_Report_DemoData: on the demo's data, while serve runs,
// `telltale report` and the copy in an export bundle.
func TestCLI_Report_DemoData(t *testing.T) {
	s, _, rep := demoRun(t, 10)
	flushAnalysis(t, s)
	t.Run("Report", func(t *testing.T) { checkReport(t, s.Config().DataDir, rep) })
	t.Run("ExportBundle", func(t *testing.T) { checkBundleReport(t, s.Config().DataDir) })
}

// checkReport: every section, with the figures and their charts, the
// reconciliation with a measurement, the personal data and the
// checkpoint with the command that verifies it; no script; it prints.
func checkReport(t *testing.T, data string, rep testbed.Report) {
	dir := t.TempDir()
	day := func(n int) string { return rep.Days[n-1].UsageDate.Format(time.DateOnly) }
	f3, _ := rep.Feature(3, "CAG_AAC_CCU")
	measured := filepath.Join(dir, "measured.csv")
	os.WriteFile(measured, []byte(fmt.Sprintf("date,figure,value\n%s,CAG_AAC_CCU.CountUsedMax,%d\n", day(3), f3.CountUsedMax+20)), 0o644)

	out := filepath.Join(dir, "report.html")
	stdout, errOut, code := cli(t, "report", "-o", out, "--data", data, "--measured", measured)
	if code != 0 || !strings.Contains(stdout, "wrote "+out) {
		t.Fatalf("report: exit %d %s %s", code, stdout, errOut)
	}
	b := mustRead(t, out)
	p := parsePage(t, b)
	checkSelfContained(t, "report", p)
	key := strings.TrimSpace(string(mustRead(t, filepath.Join(data, "ca", "log.pub"))))
	ckpt, _, _ := cli(t, "checkpoint", "--data", data)
	size := regexp.MustCompile(`(?m)^(\d+)$`).FindString(ckpt)
	want := map[string][]string{
		"sent":           {"POST cis.citrix.com /api/upload/LicenseServerCompliance 10", "POST las.cloud.com /support/{ccid}/{product}/offlineactivation 1"},
		"figures":        {"CAG_AAC_CCU.CountUsedMax (licenses)", "CountUsedMax", "LicenseServer", "Version", testbed.InitialVersion},
		"reconciliation": {"1 mismatch", day(3) + " CAG_AAC_CCU.CountUsedMax measured higher"},
		"personal":       {"user name", "host name", "$.Data.Features[].CCUDevices 10"},
		"checkpoint":     {"Tree size " + size + " records", key, "telltale verify --data " + data},
	}
	for id, texts := range want {
		got, ok := p.sections[id]
		if !ok {
			t.Errorf("report has no section %q", id)
		}
		for _, w := range texts {
			if !strings.Contains(got, w) {
				t.Errorf("section %q lacks %q:\n%s", id, w, got)
			}
		}
	}
	row := regexp.MustCompile(day(3) + `( \S+)* ` + fmt.Sprint(f3.CountUsedMax) + ` `)
	if !row.MatchString(p.sections["figures"]) {
		t.Errorf("figures: no row of %s with CountUsedMax %d:\n%s", day(3), f3.CountUsedMax, p.sections["figures"])
	}
	if p.svgs < 20 {
		t.Errorf("report has %d charts, want one per numeric figure (20 or more)", p.svgs)
	}
	printsToPDF(t, out)

	out2 := filepath.Join(dir, "empty.html")
	if _, errOut, code := cli(t, "report", "-o", out2, "--data", data, "--since", "2100-01-01", "--host", "citrix.com"); code != 0 {
		t.Fatalf("report --since later: exit %d %s", code, errOut)
	}
	if got := parsePage(t, mustRead(t, out2)).sections["sent"]; !strings.Contains(got, "No captures in this selection") {
		t.Errorf("report of nothing: %s", got)
	}
	if _, errOut, code := cli(t, "report", "--data", data); code != 2 || !strings.Contains(errOut, "-o") {
		t.Errorf("report without -o: exit %d %q, want 2", code, errOut)
	}
	if _, errOut, code := cli(t, "report", "-o", out2, "--data", data, "--measured", filepath.Join(dir, "none.csv")); code != 2 {
		t.Errorf("report with a missing --measured: exit %d %q, want 2", code, errOut)
	}
}

// printsToPDF prints the page with headless Chromium when there is one.
func printsToPDF(t *testing.T, page string) {
	bin := chromium()
	if bin == "" {
		if testtool.InCI() {
			t.Fatal("CI=true: no chromium to print the report to PDF (.ci/run installs it)")
		}
		t.Log("no chromium: the report was not printed to PDF")
		return
	}
	pdf := filepath.Join(t.TempDir(), "report.pdf")
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--print-to-pdf="+pdf, "file://"+page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium --print-to-pdf: %v\n%s", err, out)
	}
	if b := mustRead(t, pdf); !bytes.HasPrefix(b, []byte("%PDF-")) || len(b) < 10000 {
		t.Errorf("printed report: %d bytes, not a PDF", len(b))
	}
}

// checkBundleReport: every bundle holds report.html (of its own
// captures) and figures.csv, and verifies.
func checkBundleReport(t *testing.T, data string) {
	bundle := filepath.Join(t.TempDir(), "b.zip")
	if out, errOut, code := cli(t, "export", "-o", bundle, "--data", data, "--host", "cis.citrix.com"); code != 0 {
		t.Fatalf("export: exit %d %s %s", code, out, errOut)
	}
	key := strings.TrimSpace(string(mustRead(t, filepath.Join(data, "ca", "log.pub"))))
	if out, errOut, code := cli(t, "verify", bundle, "--key", key); code != 0 {
		t.Fatalf("verify: exit %d %s %s", code, out, errOut)
	}
	files := zipFiles(t, bundle)
	p := parsePage(t, files["report.html"])
	checkSelfContained(t, "bundle report", p)
	if got := p.sections["sent"]; !strings.Contains(got, "cis.citrix.com") || strings.Contains(got, "las.cloud.com") {
		t.Errorf("bundle report covers other captures than the bundle's:\n%s", got)
	}
	if got := p.sections["checkpoint"]; !strings.Contains(got, `telltale verify THIS-BUNDLE.zip --key "`+key+`"`) {
		t.Errorf("bundle report's verify instructions:\n%s", got)
	}
	want, _, _ := cli(t, "figures", "--csv", "--host", "cis.citrix.com", "--data", data)
	if got := string(files["figures.csv"]); got != want {
		t.Errorf("figures.csv is not what figures --csv prints for the bundle's host:\n got %d bytes\nwant %d bytes\n%.400s", len(got), len(want), got)
	}
	if !strings.Contains(string(files["manifest.json"]), `"name": "report.html"`) {
		t.Error("manifest.json does not list report.html")
	}
}

func zipFiles(t *testing.T, name string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(name)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		files[f.Name] = b.Bytes()
	}
	return files
}
