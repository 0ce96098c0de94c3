package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/telltale/telltale/testbed"
)

// onFirstScreen fails unless the element sel is visible and starts within
// the window without scrolling, and returns its text.
func onFirstScreen(t *testing.T, b *browser, what, sel string) string {
	t.Helper()
	b.run(what, visible(sel), waitJS(`(() => { const r = document.querySelector('`+sel+`').getBoundingClientRect();
		return window.scrollY === 0 && r.top >= 0 && r.top < window.innerHeight - 40 && r.height > 0; })()`))
	return b.text(sel)
}

// TestBrowser_FiveQuestions walks the licensing analyst's five questions
// on the demo's 30 days, each in the page that answers it, and checks
// that the answer is on the first screen: (a) what did our license server
// send Citrix, (b) what changed in the latest upload, (c) which counts did
// we report and do they match ours, (d) which personal data left, (e) how
// to hand proof to the vendor. Then the list at 800 px.
func TestBrowser_FiveQuestions(t *testing.T) {
	b := newBrowser(t)
	s, _, rep := demoRun(t, 30)
	completeCaptures(t, s.Store, testbed.Expected(30))
	flushAnalysis(t, s)
	base := "http://" + s.AdminAddr()
	compliance := capturesOf(t, s.Store, "LicenseServerCompliance")
	last := compliance[len(compliance)-1]
	// The position is the first page; the list is one click away.
	b.run("sign in", chromedp.Navigate(loginURL(t, s.Config().DataDir)), visible("#position-answers"),
		chromedp.Navigate(base+"/#/captures"), visible(".row.cols"))

	// The list: numbers without gaps, endpoint names, the payload's date.
	b.run("list", waitJS(`document.querySelectorAll('.row[data-id]').length > 20`))
	nums := eval[[]string](b, `[...document.querySelectorAll('.row[data-id] .c-no')].slice(0, 3).map(e => e.textContent)`)
	want := testbed.Expected(30)
	if strings.Join(nums, ",") != fmt.Sprintf("%d,%d,%d", want, want-1, want-2) {
		t.Errorf("capture numbers of the newest rows: got %v, want %d, %d, %d", nums, want, want-1, want-2)
	}
	row := `document.querySelector('.row[data-id="` + last.ID + `"]')`
	b.run("compliance row", waitJS(row+` !== null && `+row+`.querySelector('.epname').textContent === 'Compliance upload' && `+
		row+`.querySelector('.c-rep').textContent === '`+rep.Days[29].UsageDate.Format("2006-01-02")+`'`))

	// (a) What did our license server send Citrix? The capture page says
	// what was reported first.
	b.run("(a) open the latest compliance upload", chromedp.Navigate(base+"/#/capture/"+last.ID))
	got := onFirstScreen(t, b, "(a) what was reported", "#reported-figures")
	f, _ := rep.Feature(30, "CAG_AAC_CCU")
	if !strings.Contains(got, "CAG_AAC_CCU") || !strings.Contains(got, fmt.Sprint(f.CountUsedMax)) || !strings.Contains(got, "in use") {
		t.Errorf("(a) reported figures: want CAG_AAC_CCU %d in use, got %q", f.CountUsedMax, got)
	}
	// The count is in the feature's row, under the column that says "in use".
	cell := eval[[]string](b, `(() => {
		const row = document.querySelector('#reported-figures tr[data-subject="CAG_AAC_CCU"]');
		if (!row) return [];
		const i = [...row.children].findIndex(c => c.title === 'CAG_AAC_CCU.CountUsedMax');
		return i < 0 ? [] : [row.children[0].textContent, document.querySelectorAll('#reported-figures thead th')[i].textContent, row.children[i].textContent];
	})()`)
	if len(cell) != 3 || cell[0] != "CAG_AAC_CCU" || !strings.Contains(strings.ToLower(cell[1]), "in use") || cell[2] != fmt.Sprint(f.CountUsedMax) {
		t.Errorf("(a) CAG_AAC_CCU's CountUsedMax cell: got [feature, column, value] %q, want CAG_AAC_CCU, in use, %d", cell, f.CountUsedMax)
	}

	// A usage bundle names its parts by file name.
	usage := capturesOf(t, s.Store, "OnPremUsage")
	b.run("(a) usage bundle", chromedp.Navigate(base+"/#/capture/"+usage[len(usage)-1].ID))
	if got := onFirstScreen(t, b, "(a) usage parts", "#reported"); !strings.Contains(got, "Parts: ") || !strings.Contains(got, "manifest.json") ||
		!strings.Contains(got, ".zip › ue_lt_") || !strings.Contains(got, "@corp.example.com") {
		t.Errorf("(a) usage bundle: want its parts by file name and the user names it carried, got %.2000q", got)
	}

	// Secrets show masked until revealed: the renewal's Authorization and
	// the token request's clientSecret.
	renew := capturesOf(t, s.Store, "activation/renew")[0]
	b.run("(a) heads masked", chromedp.Navigate(base+"/#/capture/"+renew.ID), visible(".page-tabs [data-tab=heads]"),
		chromedp.Click(chromedp.CSS(".page-tabs [data-tab=heads]")), visible("#heads-request"))
	if got := b.text("#heads-request"); !strings.Contains(got, "masked") || strings.Contains(got, "CWSAuth") {
		t.Errorf("heads: want Authorization masked, got %q", got)
	}
	b.run("(a) reveal", chromedp.Click(chromedp.CSS("#reveal")), waitJS(`document.querySelector('#heads-request').textContent.includes('CWSAuth bearer=')`))
	b.run("(a) hide again", chromedp.Click(chromedp.CSS("#reveal")), waitJS(`!document.querySelector('#heads-request').textContent.includes('CWSAuth')`))
	token := capturesOf(t, s.Store, "tokens/clients")[0]
	b.run("(a) token text masked", chromedp.Navigate(base+"/#/capture/"+token.ID), visible("#msg-request [data-tab=text]"),
		chromedp.Click(chromedp.CSS("#msg-request [data-tab=text]")), waitJS(`document.querySelector('#msg-request pre.body') !== null`))
	if got := b.text("#msg-request pre.body"); !strings.Contains(got, `"clientSecret": "••••••`) || strings.Contains(got, "dGVzdGJlZC") {
		t.Errorf("token request text: want clientSecret masked, got %q", got)
	}

	// (b) What changed in the day-12 upload, and does it matter?
	day12 := compliance[testbed.NewFeatureDay-1]
	b.run("(b) diff", chromedp.Navigate(base+"/#/diff/"+day12.ID))
	got = onFirstScreen(t, b, "(b) summary", "#diff-summary")
	nf, _ := rep.Feature(testbed.NewFeatureDay, testbed.NewFeatureID)
	if w := fmt.Sprintf("%s added: %d in use", testbed.NewFeatureID, nf.CountUsedMax); !strings.Contains(got, w) || !strings.Contains(got, "CAG_AAC_CCU CountUsedMax") {
		t.Errorf("(b) summary: want %q and the CAG_AAC_CCU change, got %q", w, got)
	}

	// (c) Which counts did we report, and do they match ours? Upload the
	// Licensing Manager's Historical Use export; one day disagrees.
	var csv strings.Builder
	csv.WriteString("Date,Product,Edition,Model,In use,Overdraft\n")
	for day := 28; day <= 30; day++ {
		f, _ := rep.Feature(day, "CAG_AAC_CCU")
		v := f.CountUsedMax
		if day == 29 {
			v += 7
		}
		fmt.Fprintf(&csv, "%s,CAG,AAC,CCU,%d,0\n", rep.Days[day-1].UsageDate.Format("1/2/2006"), v)
	}
	file := filepath.Join(t.TempDir(), "historical-use.csv")
	os.WriteFile(file, []byte(csv.String()), 0o644)
	b.run("(c) reconcile", chromedp.Navigate(base+"/#/reconcile"))
	if got := onFirstScreen(t, b, "(c) reported counts", "#reported-counts"); !strings.Contains(strings.ToLower(got), "compliance upload") || !strings.Contains(got, "CAG_AAC_CCU.CountUsedMax") {
		t.Errorf("(c) reported counts: %q", got)
	}
	b.run("(c) upload", chromedp.SetUploadFiles(chromedp.CSS("#measured-file"), []string{file}),
		waitJS(`document.querySelector('#measured-csv').value.includes('CAG,AAC,CCU')`),
		chromedp.Click(chromedp.CSS("#reconcile-run")))
	got = onFirstScreen(t, b, "(c) results", "#reconcile-result")
	// Each row gives the peak in use and the overdraft, compared apart.
	if !strings.Contains(got, "1 of 6 figure-days disagree") || !strings.Contains(got, "6 figure-days (tolerance 0) = 5 agree + 0 reported higher + 1 measured higher") {
		t.Errorf("(c) results: %q", got)
	}
	// The row that disagrees is day 29's, with both counts beside it and
	// the difference as reported minus measured.
	f29, _ := rep.Feature(29, "CAG_AAC_CCU")
	bad := eval[[][]string](b, `[...document.querySelectorAll('#reconcile-rows tbody tr')].filter(r => !r.classList.contains('st-agree')).map(r => [...r.children].map(c => c.textContent))`)
	wantRow := []string{rep.Days[28].UsageDate.Format("2006-01-02"), "CAG_AAC_CCU.CountUsedMax", fmt.Sprint(f29.CountUsedMax), fmt.Sprint(f29.CountUsedMax + 7), "-7", "measured higher"}
	if len(bad) != 1 || len(bad[0]) < 7 || bad[0][0] != wantRow[0] || bad[0][1] != wantRow[1] ||
		bad[0][3] != wantRow[2] || bad[0][4] != wantRow[3] || bad[0][5] != wantRow[4] || bad[0][6] != wantRow[5] {
		t.Errorf("(c) disagreeing rows: got %q, want one: day, figure, reported, measured, difference, result %q", bad, wantRow)
	}

	// (d) Which personal data left the building? The usage uploads carry
	// user@domain names: anonymisation is off, and says so first.
	b.run("(d) personal", chromedp.Navigate(base+"/#/personal"))
	got = onFirstScreen(t, b, "(d) anonymisation", "#anonymisation")
	if !strings.Contains(got, "NOT in effect") || !strings.Contains(got, "@corp.example.com") || !strings.Contains(got, "Usage upload") {
		t.Errorf("(d) anonymisation: %q", got)
	}
	if got := onFirstScreen(t, b, "(d) identities", "#identities"); !strings.Contains(got, "in clear") || !strings.Contains(got, "Device / host name") {
		t.Errorf("(d) identities: %.300q", got)
	}
	// The answer beside its label: the banner's count of user@domain
	// names in clear, its example and where they went; the same count
	// under "User names in clear"; and, searched for, that many table
	// rows tagged "in clear", the example's among them, each sent to the
	// usage upload.
	m := regexp.MustCompile(`^Username anonymisation is NOT in effect\. (\d+) user@domain names? left in clear \(e\.g\. (\S+@corp\.example\.com)\) to ([^.]+)\. `).
		FindStringSubmatch(b.text("#anonymisation"))
	if m == nil || m[1] == "0" || m[3] != "Usage upload" {
		t.Fatalf("(d) anonymisation banner: got %q, want a count, an example @corp.example.com and 'to Usage upload'", b.text("#anonymisation"))
	}
	if got := eval[[]string](b, `[...document.querySelectorAll('#personal-counts dt')].filter(dt => dt.textContent === 'User names in clear').map(dt => dt.nextElementSibling.textContent)`); len(got) != 1 || got[0] != m[1] {
		t.Errorf("(d) 'User names in clear': got %q, want %s as the banner says", got, m[1])
	}
	b.run("(d) search names", chromedp.SendKeys(chromedp.CSS("#personal-search"), "@corp.example.com"),
		waitJS(`[...document.querySelectorAll('#identities tbody tr td.mono')].every(td => td.textContent.includes('@corp.example.com'))`))
	rows := eval[[][]string](b, `[...document.querySelectorAll('#identities tbody tr')].map(r => [...r.children].map(c => c.textContent))`)
	clear, example := 0, false
	for _, r := range rows {
		if len(r) < 4 || !strings.HasSuffix(r[0], " in clear") {
			continue
		}
		clear++
		example = example || r[1] == m[2]
		if r[3] != "Usage upload" || r[2] == "0" {
			t.Errorf("(d) identity row %q: want it sent to Usage upload, in one upload or more", r)
		}
	}
	if fmt.Sprint(clear) != m[1] || !example {
		t.Errorf("(d) rows tagged 'in clear' for @corp.example.com: %d, the example %s among them %v; want %s as the banner says", clear, m[2], example, m[1])
	}

	// (e) How do I hand proof to the vendor?
	b.run("(e) evidence", chromedp.Navigate(base+"/#/evidence"))
	if got := onFirstScreen(t, b, "(e) hand over", "#handover"); !strings.Contains(got, "telltale verify BUNDLE.zip --key") || !strings.Contains(got, "Export a bundle") {
		t.Errorf("(e) hand over: %q", got)
	}
	// The key to pin is the log's own, beside "Send the zip".
	logPub, err := os.ReadFile(filepath.Join(s.Config().DataDir, "ca", "log.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if got := eval[string](b, `(li => li ? li.textContent : '')([...document.querySelectorAll('#handover li')].find(li => li.textContent.startsWith('Send the zip')))`); !strings.Contains(got, strings.TrimSpace(string(logPub))) {
		t.Errorf("(e) the key to send: got %q, want it to hold %s", got, strings.TrimSpace(string(logPub)))
	}

	// The list at 800 px: no sideways scrolling; a click opens the pane.
	b.run("800 px", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 800, Height: 900, DeviceScaleFactor: 1})
		return err
	}), chromedp.Navigate(base+"/#/captures"), visible(".row[data-id]"),
		chromedp.Click(chromedp.CSS(`.row[data-id="`+last.ID+`"]`)), waitJS(`document.querySelector('#list-pane').textContent.includes('Compliance upload')`),
		waitJS(`document.querySelector('#list-pane').textContent.includes('CAG_AAC_CCU.CountUsedMax')`))
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 800 {
		t.Errorf("at 800 px the list is %d px wide", w)
	}
	for _, page := range []string{"/#/capture/" + last.ID, "/#/diff/" + day12.ID, "/#/personal", "/#/reconcile", "/#/evidence"} {
		b.run("800 px "+page, chromedp.Navigate(base+page), visible("main .card"))
		if w := eval[int](b, `document.documentElement.scrollWidth`); w > 800 {
			t.Errorf("at 800 px %s is %d px wide", page, w)
		}
	}
}
