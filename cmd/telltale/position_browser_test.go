package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/telltale/telltale/testbed"
)

// TestBrowser_Position answers, on the demo's 30 days and each on the
// first screen, the questions a vendor review turns on: which license is
// over, since when, by how much; which entitlement is dormant; does our
// Historical Use export (in the Licensing Manager's format: product
// names, by usage day) agree with what was sent, with no false mismatch
// and every real one found. The CLI says the same.
func TestBrowser_Position(t *testing.T) {
	b := newBrowser(t)
	s, _, rep := demoRun(t, 30)
	completeCaptures(t, s.Store, testbed.Expected(30))
	flushAnalysis(t, s)
	base := "http://" + s.AdminAddr()
	usage := func(day int) string { return rep.Days[day-1].UsageDate.Format(time.DateOnly) }

	// The position is the first page after signing in.
	b.run("sign in", chromedp.Navigate(loginURL(t, s.Config().DataDir)), visible("#position-answers"))
	got := onFirstScreen(t, b, "which license is over", "#position-answers")
	first, last := testbed.OveruseDay, testbed.OveruseDay+testbed.OveruseDays-1
	over := fmt.Sprintf("%s (Citrix Virtual Apps and Desktops Premium, Concurrent System) is over installed: %d days from %s to %s, by up to 28 on %s (installed 500).",
		testbed.OveruseID, testbed.OveruseDays, usage(first), usage(last), usage(last))
	if !strings.Contains(got, over) || !strings.Contains(got, "1 license over installed") {
		t.Errorf("over: want %q on the first screen, got %q", over, got)
	}
	if !strings.Contains(got, testbed.DormantID+" (Citrix Virtual Desktops Advanced, Concurrent System) is mostly dormant") {
		t.Errorf("dormant: want %s mostly dormant on the first screen, got %q", testbed.DormantID, got)
	}
	if code := eval[string](b, `document.querySelector('#position-headlines li').dataset.code`); code != testbed.OveruseID {
		t.Errorf("first headline: got %s, want the license over installed, %s", code, testbed.OveruseID)
	}
	// Every number links to its captures; the renewal's change is told.
	row := `document.querySelector('#position-table tr[data-code="` + testbed.InstalledChangeID + `"]')`
	if txt := eval[string](b, row+`.textContent`); !strings.Contains(txt, "1,200") || !strings.Contains(txt, "changed "+rep.Days[testbed.InstalledChangeDay-1].Date.Format(time.DateOnly)) {
		t.Errorf("installed change: %q", txt)
	}
	if n := eval[int](b, `document.querySelectorAll('#position-table a[href^="#/capture/"]').length`); n < 4*3 {
		t.Errorf("links to captures in the table: %d", n)
	}

	// The Historical Use export: two real differences and a license this
	// server never reported.
	adjust := func(day int, id string) int {
		switch {
		case day == 10 && id == "CAG_AAC_CCU":
			return 5
		case day == 20 && id == testbed.NewFeatureID:
			return -3
		}
		return 0
	}
	csv := testbed.HistoricalUse(rep, adjust)
	rows := strings.Count(string(csv), "\n") - 1
	csv = append(csv, []byte(rep.Days[5].UsageDate.Format("1/2/2006")+",Citrix Virtual Apps,Premium,Concurrent,5,0\r\n")...)
	file := filepath.Join(t.TempDir(), "HistoricalUse.csv")
	os.WriteFile(file, csv, 0o644)
	b.run("reconcile", chromedp.Navigate(base+"/#/reconcile"), visible("#measured-file"),
		chromedp.SetUploadFiles(chromedp.CSS("#measured-file"), []string{file}),
		waitJS(`document.querySelector('#measured-csv').value.includes('Citrix Virtual Apps')`),
		chromedp.Click(chromedp.CSS("#reconcile-run")))
	got = onFirstScreen(t, b, "does the export agree", "#reconcile-result")
	compared := 2 * rows // the peak and the overdraft of each row
	if w := fmt.Sprintf("2 of %d figure-days disagree", compared); !strings.Contains(got, w) || !strings.Contains(got, "Historical Use export") {
		t.Errorf("reconcile: want %q, got %.600q", w, got)
	}
	if !strings.Contains(got, "1 reported higher + 1 measured higher + 0 reported, not measured + 0 measured, not reported + 2 matched no reported figure") {
		t.Errorf("reconcile counts: %.600q", got)
	}
	if !strings.Contains(got, "Citrix Virtual Apps Premium, Concurrent") {
		t.Errorf("the unmatched license is not said plainly: %.600q", got)
	}
	found := eval[[]string](b, `[...document.querySelectorAll('#reconcile-rows tr.st-measured_higher, #reconcile-rows tr.st-reported_higher')].map(r => r.cells[0].textContent + ' ' + r.cells[1].textContent)`)
	want := []string{usage(10) + " CAG_AAC_CCU.CountUsedMax", usage(20) + " " + testbed.NewFeatureID + ".CountUsedMax"}
	if strings.Join(found, "|") != strings.Join(want, "|") {
		t.Errorf("mismatches: got %q, want exactly %q", found, want)
	}
	// Only the disagreements, each naming its capture by number.
	b.run("only disagreements", chromedp.Click(chromedp.CSS("#reconcile-only-bad")),
		waitJS(`document.querySelectorAll('#reconcile-rows tbody tr').length === 2`))
	links := eval[[]string](b, `[...document.querySelectorAll('#reconcile-rows tbody tr td:last-child a')].map(a => a.textContent + ' ' + a.getAttribute('href'))`)
	for _, l := range links {
		if !regexp.MustCompile(`^no\. (\d+) #/capture/no\.(\d+)$`).MatchString(l) {
			t.Errorf("only disagreements: a capture named %q, not by its number", l)
		}
	}
	if len(links) != 2 {
		t.Errorf("only disagreements: %d capture links, want 2", len(links))
	}

	// The CLI tells the same position.
	out, errOut, code := cli(t, "position", "--data", s.Config().DataDir)
	if code != 0 || !strings.Contains(out, over) {
		t.Errorf("telltale position: exit %d %s\n%s", code, errOut, out)
	}
}
