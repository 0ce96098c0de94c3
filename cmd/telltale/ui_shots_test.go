package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// loginURL asks the running server for a one-time login link, as
// `telltale ui` does.
func loginURL(t *testing.T, dataDir string) string {
	t.Helper()
	c, info, err := runningAdmin(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	path, _, err := c.LoginLink()
	if err != nil {
		t.Fatal(err)
	}
	return info.URL + path
}

// TestUI_Screenshots saves a screenshot of every page over 30 demo days to
// $TELLTALE_SHOTS, for a person to look at; it is skipped without it.
func TestUI_Screenshots(t *testing.T) {
	dir := os.Getenv("TELLTALE_SHOTS")
	if dir == "" {
		t.Skip("set TELLTALE_SHOTS=DIR to save screenshots of every page")
	}
	b := newBrowser(t)
	s, _, _ := demoRun(t, 30)
	completeCaptures(t, s.Store, 182)
	shot := func(name string) {
		b.run("settle", chromedp.Sleep(600*time.Millisecond))
		png := get(b, "screenshot "+name, chromedp.CaptureScreenshot())
		os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	base := "http://" + s.AdminAddr()
	b.run("sign in", chromedp.Navigate(loginURL(t, s.Config().DataDir)), visible("#position-answers"))
	shot("0-position")
	b.run("captures", chromedp.Navigate(base+"/#/captures"), visible(".row.cols"))
	shot("1-captures")
	b.run("detail", chromedp.Navigate(base+"/#/capture/141"), visible("#msg-request"))
	shot("2-detail")
	b.run("scroll to body", chromedp.ScrollIntoView(chromedp.CSS("#msg-request .tabs")))
	shot("2b-detail-body")
	b.run("scroll to fields", chromedp.ScrollIntoView(chromedp.CSS("#msg-request table.fields")))
	shot("2d-detail-fields")
	b.run("text tab", chromedp.Click(chromedp.CSS("#msg-request [data-tab=text]")), visible("#msg-request pre.body"))
	shot("2c-detail-text")
	b.run("diff", chromedp.Navigate(base+"/#/diff/141"), visible("table.changes"))
	shot("3-diff")
	b.run("side by side", chromedp.Click(chromedp.CSS(".tabs button:nth-child(2)")), visible(".sbs"))
	shot("3b-diff-sbs")
	b.run("timeline", chromedp.Navigate(base+"/#/timeline?endpoint="+"POST%20cis.citrix.com%20%2Fapi%2Fupload%2FLicenseServerCompliance"),
		visible("svg.chart"))
	shot("4-timeline")
	b.run("scroll to figures", chromedp.ScrollIntoView(chromedp.CSS(".charts")))
	shot("4b-timeline-figures")
	b.run("evidence", chromedp.Navigate(base+"/#/evidence"), visible("#export-form"),
		chromedp.Click(chromedp.CSS("#export-form button[type=submit]")), visible("#export-result"))
	shot("5-evidence")
	b.run("filter", chromedp.Navigate(base+"/#/captures?q=CountUsedMax&host=cis.citrix.com"), visible(".row.cols"))
	shot("6-search")
	b.run("personal", chromedp.Navigate(base+"/#/personal"), visible("#identities"))
	shot("6b-personal")
	b.run("reconcile", chromedp.Navigate(base+"/#/reconcile"), visible("#reported-counts"))
	shot("6c-reconcile")
	b.run("dark", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return err
	}), chromedp.Navigate(base+"/#/captures"), visible(".row.cols"))
	shot("7-dark-captures")
	b.run("dark diff", chromedp.Navigate(base+"/#/diff/141"), visible(".diff-head"), chromedp.Click(chromedp.CSS(".tabs button:nth-child(1)")), visible("table.changes"))
	shot("8-dark-diff")
	b.run("dark detail", chromedp.Navigate(base+"/#/capture/141"), visible("#msg-request"),
		chromedp.ScrollIntoView(chromedp.CSS("#msg-request .tabs")))
	shot("9-dark-detail")
	b.run("sign out", chromedp.Click(chromedp.CSS("#logout")), visible(".signin"),
		chromedp.Navigate(base+"/login#used-or-made-up"), visible(".signin .err-text"))
	shot("10-dark-signin")
}
