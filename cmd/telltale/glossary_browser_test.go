package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/telltale/telltale/testbed"
)

// cutTables lists the tables of the page that show less than they hold
// with no way to scroll to the rest: wider than the viewport or than a
// box that hides what overflows, with no scrolling box around them.
const cutTables = `[...document.querySelectorAll('main table')].filter(t => {
  if (!t.offsetParent) return false;
  for (let p = t.parentElement; p && p !== document.body; p = p.parentElement) {
    const ox = getComputedStyle(p).overflowX;
    if (ox === 'auto' || ox === 'scroll') return false;
    if (ox === 'hidden' || ox === 'clip') return t.scrollWidth > p.clientWidth + 1;
  }
  return t.getBoundingClientRect().right > window.innerWidth + 1;
}).map(t => t.id || t.className || 'table')`

// TestBrowser_GlossaryAnd800px: the glossary is one click from every
// page, explains the words the issue names, and at 800 px no page cuts a
// table or scrolls sideways.
func TestBrowser_GlossaryAnd800px(t *testing.T) {
	b := newBrowser(t)
	s, _, rep := demoRun(t, 3)
	completeCaptures(t, s.Store, testbed.Expected(3))
	flushAnalysis(t, s)
	base := "http://" + s.AdminAddr()
	var usage string
	var listed []struct {
		ID  json.Number `json:"id"`
		URL string      `json:"url"`
	}
	cliJSON(t, &listed, "list", "--json", "--data", s.Config().DataDir)
	for _, c := range listed {
		if strings.Contains(c.URL, "OnPremUsage") {
			usage = c.ID.String()
		}
	}
	b.run("sign in", chromedp.Navigate(loginURL(t, s.Config().DataDir)), visible("#position-answers"))
	b.run("800 px", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 800, Height: 900, DeviceScaleFactor: 1})
		return err
	}))
	for _, page := range []string{"/#/position", "/#/captures", "/#/capture/" + usage, "/#/personal", "/#/reconcile", "/#/evidence", "/#/timeline", "/#/glossary"} {
		b.run(page, chromedp.Navigate(base+page), visible("#glossary-link"),
			waitJS(`document.querySelector('main').children.length > 0 && !document.querySelector('main').textContent.startsWith('Loading')`))
		if w := eval[int](b, `document.documentElement.scrollWidth`); w > 800 {
			t.Errorf("at 800 px %s is %d px wide", page, w)
		}
		if cut := eval[[]string](b, cutTables); len(cut) > 0 {
			t.Errorf("at 800 px %s cuts tables %q", page, cut)
		}
	}
	// Reconcile's results table, with a row per figure-day, fits too.
	file := filepath.Join(t.TempDir(), "HistoricalUse.csv")
	os.WriteFile(file, testbed.HistoricalUse(rep, nil), 0o644)
	b.run("reconcile at 800 px", chromedp.Navigate(base+"/#/reconcile"), visible("#measured-file"),
		chromedp.SetUploadFiles(chromedp.CSS("#measured-file"), []string{file}),
		waitJS(`document.querySelector('#measured-csv').value.length > 0`),
		chromedp.Click(chromedp.CSS("#reconcile-run")), visible("#reconcile-rows tbody tr"))
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 800 {
		t.Errorf("at 800 px reconcile's results are %d px wide", w)
	}
	if cut := eval[[]string](b, cutTables); len(cut) > 0 {
		t.Errorf("at 800 px reconcile's results cut tables %q", cut)
	}
	b.run("glossary", chromedp.Navigate(base+"/#/position"), visible("#position-answers"),
		chromedp.Click(chromedp.CSS("#glossary-link")), visible("#glossary"))
	terms := eval[map[string]string](b, `Object.fromEntries([...document.querySelectorAll('#glossary dt')].map(dt => [dt.textContent, dt.nextElementSibling.textContent]))`)
	for _, term := range []string{"Capture", "Upload", "Endpoint", "Checkpoint", "Leaf", "Volatile", "Drift", "Tunnel", "Usage day"} {
		if len(terms[term]) < 40 {
			t.Errorf("glossary: %q is explained as %q", term, terms[term])
		}
	}
}
