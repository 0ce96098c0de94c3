package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/testbed"
)

// personalCounts are the numbers a surface shows of personal data.
type personalCounts struct {
	People, Devices, Addresses, Identifiers, Plain int
}

func countsOf(c analysis.IdentityCounts) personalCounts {
	return personalCounts{c.People, c.Devices, c.Addresses, c.Identifiers, c.Plain}
}

// TestBrowser_PersonalCountsAgree computes every personal-data count
// shown on more than one surface, on the demo, and asserts they are
// equal: the Personal data page (its counts on the first screen),
// report.html and `telltale personal` for
// every capture; a capture page and `telltale personal --capture N` for
// one CEIP upload and one usage upload. A CEIP upload's people are its
// users, each counted once over the five hashes it sends of them.
func TestBrowser_PersonalCountsAgree(t *testing.T) {
	b := newBrowser(t)
	s, _, _ := demoRun(t, 8)
	completeCaptures(t, s.Store, testbed.Expected(8))
	flushAnalysis(t, s)
	data := s.Config().DataDir
	base := "http://" + s.AdminAddr()

	// The CLI.
	var all personalOut
	cliJSON(t, &all, "personal", "--json", "--data", data)
	want := countsOf(all.Counts)
	if want.People == 0 || want.Devices == 0 || want.Plain == 0 || want.People >= want.Identifiers {
		t.Fatalf("telltale personal: %+v, want people, devices and names in clear, fewer people than identifiers", want)
	}

	// The page.
	b.run("sign in", chromedp.Navigate(loginURL(t, data)), visible("#position-answers"))
	b.run("personal", chromedp.Navigate(base+"/#/personal"))
	onFirstScreen(t, b, "personal counts on the first screen", "#personal-counts")
	if got := pageCounts(t, b, "#personal-counts"); got != want {
		t.Errorf("Personal data page: got %+v, want the CLI's %+v", got, want)
	}

	// The report.
	out := filepath.Join(t.TempDir(), "report.html")
	if _, errOut, code := cli(t, "report", "-o", out, "--data", data); code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	page, _ := os.ReadFile(out)
	if got := reportCounts(t, string(page)); got != want {
		t.Errorf("report.html: got %+v, want the CLI's %+v", got, want)
	}

	// One capture of each uploading endpoint: its page and the CLI.
	var listed []struct {
		ID     json.Number `json:"id"`
		Number int         `json:"number"`
		URL    string      `json:"url"`
	}
	cliJSON(t, &listed, "list", "--json", "--data", data)
	for _, path := range []string{"/api/ceip/", "/api/upload/LicenseServer.OnPremUsage"} {
		var id string
		var num int
		for _, c := range listed {
			if strings.Contains(c.URL, path) {
				id, num = c.ID.String(), c.Number
			}
		}
		if id == "" {
			t.Fatalf("no capture of %s in %d listed", path, len(listed))
		}
		var one personalOut
		cliJSON(t, &one, "personal", "--json", "--data", data, "--capture", strconv.Itoa(num))
		b.run("capture "+path, chromedp.Navigate(base+"/#/capture/"+id), visible("#capture-personal-counts"))
		if got, want := pageCounts(t, b, "#capture-personal-counts"), countsOf(one.Counts); got != want || want.Identifiers == 0 {
			t.Errorf("capture page of no. %d (%s): got %+v, want the CLI's %+v", num, path, got, want)
		}
		if path != "/api/ceip/" {
			continue
		}
		if c := one.Counts; c.People == 0 || c.ByCategory[analysis.PersonalHashedID] != 5*c.People+1 {
			t.Errorf("CEIP no. %d: %d people over %d hashes; want each user once over its 5 hashes (plus the device's)", num, c.People, c.ByCategory[analysis.PersonalHashedID])
		}
	}
}

func cliJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out, errOut, code := cli(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v: %v\n%.500s", args, err, out)
	}
}

// pageCounts reads the counts a page shows next to their labels.
func pageCounts(t *testing.T, b *browser, sel string) personalCounts {
	t.Helper()
	m := eval[map[string]string](b, `Object.fromEntries([...document.querySelectorAll('`+sel+` dt')].map(dt => [dt.textContent, dt.nextElementSibling.textContent]))`)
	n := func(label string) int {
		v, err := strconv.Atoi(strings.ReplaceAll(m[label], ",", ""))
		if err != nil {
			t.Errorf("%s: %q next to %q is not a count (%v)", sel, m[label], label, m)
		}
		return v
	}
	return personalCounts{n("People"), n("Devices and hosts"), n("IP addresses"), n("Identifiers"), n("User names in clear")}
}

// reportCounts reads report.html's counts next to their labels.
func reportCounts(t *testing.T, page string) personalCounts {
	t.Helper()
	n := func(label string) int {
		m := regexp.MustCompile(`<dt>` + label + `</dt><dd id="[^"]+">(?:<span class="bad">)?(\d+)`).FindStringSubmatch(page)
		if m == nil {
			t.Errorf("report.html: no count next to %q", label)
			return -1
		}
		v, _ := strconv.Atoi(m[1])
		return v
	}
	return personalCounts{n("People"), n("Devices and hosts"), n("IP addresses"), n("Identifiers"), n("User names in clear")}
}
