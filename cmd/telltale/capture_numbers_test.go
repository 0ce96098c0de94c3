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
// and its commands work as printed (show -n, diff -n); the position and
// the report name captures by the numbers list shows, not by internal
// ids.
func TestCLI_CaptureNumbers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	guide, errOut, code := cli(t, "demo", "--days", fmt.Sprint(testbed.NewFeatureDay), "--data", dir, "--exit")
	if code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`show -n (\d+) --data `).FindStringSubmatch(guide)
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
	out, errOut, code := cli(t, "show", "-n", num, "--data", dir)
	if code != 0 || !strings.Contains(out, "(no. "+num+")") || !strings.Contains(out, "LicenseServerCompliance") {
		t.Errorf("show -n %s as the guide prints it: exit %d %s\n%.300s", num, code, errOut, out)
	}
	out, errOut, code = cli(t, "diff", "-n", num, "--data", dir)
	if code != 0 || !strings.Contains(out, testbed.NewFeatureID+" added") || !strings.Contains(out, "The license position moved") {
		t.Errorf("diff -n %s as the guide prints it: exit %d %s\n%.600s", num, code, errOut, out)
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
}
