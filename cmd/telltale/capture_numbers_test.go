package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/telltale/telltale/testbed"
)

// TestCLI_CaptureNumbers: the demo's guide names a capture by its number
// and its commands work as printed (show N, diff N); show, diff and list
// name captures by number and keep the internal id out of sight unless
// --id; the position and the report name captures by the numbers list
// shows, not by internal ids.
func TestCLI_CaptureNumbers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	guide, errOut, code := cli(t, "demo", "--days", fmt.Sprint(testbed.NewFeatureDay), "--data", dir, "--exit")
	if code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`show (\d+) --data `).FindStringSubmatch(guide)
	if m == nil {
		t.Fatalf("the guide names no capture by number:\n%s", guide)
	}
	num := m[1]
	var listed []struct {
		ID     json.Number `json:"id"`
		Number int         `json:"number"`
		URL    string      `json:"url"`
	}
	cliJSON(t, &listed, "list", "--json", "--data", dir)
	byNumber := map[string]string{}
	var ids []string
	for _, c := range listed {
		byNumber[fmt.Sprint(c.Number)] = c.ID.String()
		if c.ID.String() != fmt.Sprint(c.Number) {
			ids = append(ids, c.ID.String())
		}
	}
	if len(ids) < 10 {
		t.Fatalf("ids and numbers differ for only %d captures: the test cannot tell them apart", len(ids))
	}
	id := byNumber[num]
	out, errOut, code := cli(t, "show", num, "--data", dir)
	if code != 0 || !strings.HasPrefix(out, "Capture no. "+num+"  ") || !strings.Contains(out, "LicenseServerCompliance") {
		t.Errorf("show %s as the guide prints it: exit %d %s\n%.300s", num, code, errOut, out)
	}
	out, errOut, code = cli(t, "diff", num, "--data", dir)
	if code != 0 || !strings.Contains(out, testbed.NewFeatureID+" added") || !strings.Contains(out, "The license position moved") {
		t.Errorf("diff %s as the guide prints it: exit %d %s\n%.600s", num, code, errOut, out)
	}
	prevNum := regexp.MustCompile(`against capture no\. (\d+) `).FindStringSubmatch(out)
	if !strings.Contains(out, "capture no. "+num+" (") || prevNum == nil || !strings.Contains(out, "--- capture no. "+prevNum[1]+"  ") ||
		!strings.Contains(out, "+++ capture no. "+num+"  ") {
		t.Errorf("diff %s names the captures otherwise than by number:\n%.600s", num, out)
	}
	if out, _, _ := cli(t, "diff", "--id", id, "--data", dir); !strings.Contains(out, "capture no. "+num+", id "+id+" (") {
		t.Errorf("diff --id %s does not name capture no. %s by both:\n%.300s", id, num, out)
	}
	if out, _, _ := cli(t, "diff", "--id", id, "--data", dir, "--json"); !strings.Contains(out, `"to": `+id+",") {
		t.Errorf("diff --id %s --json: want to = the id:\n%.300s", id, out)
	}
	if prevNum != nil {
		if out, errOut, code := cli(t, "diff", prevNum[1], num, "--data", dir); code != 0 || !strings.Contains(out, testbed.NewFeatureID+" added") {
			t.Errorf("diff %s %s: exit %d %s\n%.300s", prevNum[1], num, code, errOut, out)
		}
	}
	if _, errOut, code := cli(t, "diff", "99999", "--data", dir); code != 1 || !strings.Contains(errOut, "no capture no. 99999") {
		t.Errorf("diff of a number there is not: exit %d %q", code, errOut)
	}
	out, _, _ = cli(t, "list", "--data", dir)
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == num && f[1] == id && id != num {
			t.Errorf("list shows the internal id %s without --id: %q", id, l)
		}
	}

	// The analysis commands name captures by number too.
	out, _, _ = cli(t, "figures", "--name", "*.CountUsedMax", "--data", dir)
	if !regexp.MustCompile(`(?m)\sno\. `+num+`$`).MatchString(out) || regexp.MustCompile(`(?m)\s`+id+`$`).MatchString(out) {
		t.Errorf("figures: want capture no. %s in the CAPTURE column, not its id %s:\n%.400s", num, id, out)
	}
	out, _, _ = cli(t, "endpoints", "--data", dir)
	if !strings.Contains(out, "(capture no. ") || regexp.MustCompile(`\(capture \d`).MatchString(out) {
		t.Errorf("endpoints: want captures named by number:\n%.400s", out)
	}
	out, _, _ = cli(t, "drift", "--data", dir)
	if !regexp.MustCompile(`(?m)^\S+\s+no\. \d+\s+new_endpoint`).MatchString(out) {
		t.Errorf("drift: want captures named by number:\n%.400s", out)
	}

	out, _, _ = cli(t, "position", "--data", dir)
	refs := regexp.MustCompile(`\(captures? ([^)]*)\)`).FindAllStringSubmatch(out, -1)
	if len(refs) < 5 {
		t.Fatalf("position names %d captures:\n%s", len(refs), out)
	}
	for _, r := range refs {
		for _, ref := range strings.Split(strings.ReplaceAll(r[1], " … ", ", "), ", ") {
			n, ok := strings.CutPrefix(ref, "no. ")
			if !ok && !strings.HasSuffix(ref, "in all") {
				t.Errorf("position names a capture %q, not by its number", ref)
			} else if ok && byNumber[n] == "" {
				t.Errorf("position names capture no. %s, which list does not show", n)
			}
		}
	}

	page := filepath.Join(t.TempDir(), "r.html")
	if _, errOut, code := cli(t, "report", "-o", page, "--data", dir); code != 0 {
		t.Fatalf("report: %s", errOut)
	}
	b, _ := os.ReadFile(page)
	if !strings.Contains(string(b), `<th class="num">Capture no.</th>`) {
		t.Error("report: the figure tables do not name captures by number")
	}
	p := parsePage(t, b)
	if got := p.sections["figures"]; !regexp.MustCompile(`\b` + num + `\b`).MatchString(got) {
		t.Errorf("report: capture no. %s (the day %d compliance upload) is not in the figure tables", num, testbed.NewFeatureDay)
	}

	// The bundle's report names captures by the same numbers.
	bundle := filepath.Join(t.TempDir(), "b.zip")
	if _, errOut, code := cli(t, "export", "-o", bundle, "--data", dir); code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	page2 := zipFiles(t, bundle)["report.html"]
	if !strings.Contains(string(page2), `<th class="num">Capture no.</th>`) {
		t.Error("the bundle's report: the figure tables do not name captures by number")
	}
	if got := parsePage(t, page2).sections["figures"]; !regexp.MustCompile(`\b`+num+`\b`).MatchString(got) ||
		regexp.MustCompile(`\b`+id+`\b`).MatchString(got) {
		t.Errorf("the bundle's report: want capture no. %s in the figure tables, and not its id %s", num, id)
	}
}
