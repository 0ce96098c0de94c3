package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/telltale/telltale/testbed"
)

// TestBrowser_Captures_UsageDayFilter: the captures page filters by the
// usage day a capture reports on, apart from the capture time: the rows
// are those telltale list --usage-day lists, each showing that day, and
// the filter is in the address.
func TestBrowser_Captures_UsageDayFilter(t *testing.T) {
	b := newBrowser(t)
	const days = 4
	s, _, rep := demoRun(t, days)
	completeCaptures(t, s.Store, testbed.Expected(days))
	flushAnalysis(t, s)
	base := "http://" + s.AdminAddr()
	day := rep.Days[1].UsageDate.Format(time.DateOnly)
	var want []struct {
		Number int `json:"number"`
	}
	cliJSON(t, &want, "list", "--json", "--usage-day", day, "--data", s.Config().DataDir)
	var nums []string
	for _, c := range want {
		nums = append(nums, strconv.Itoa(c.Number))
	}
	if len(nums) < 2 {
		t.Fatalf("list --usage-day %s: %d captures; the test needs more", day, len(nums))
	}
	b.run("sign in", chromedp.Navigate(loginURL(t, s.Config().DataDir)), visible("#position-answers"))
	b.run("captures", chromedp.Navigate(base+"/#/captures"), visible(".row[data-id]"), visible("#f-usage-since"))
	total := eval[int](b, `document.querySelectorAll('.row[data-id]').length`)
	set := func(id string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`(el => { el.value = '` + day + `'; el.dispatchEvent(new Event('change')); })(document.querySelector('#` + id + `'))`)
	}
	b.run("filter by usage day", set("f-usage-since"), set("f-usage-until"),
		waitJS(`document.querySelectorAll('.row[data-id]').length === `+strconv.Itoa(len(nums))))
	got := eval[[]string](b, `[...document.querySelectorAll('.row[data-id] .c-no')].map(c => c.textContent.trim())`)
	shown := eval[[]string](b, `[...document.querySelectorAll('.row[data-id] .c-rep')].map(c => c.textContent.trim())`)
	slices.Sort(got)
	slices.Sort(nums)
	if !slices.Equal(got, nums) || total <= len(nums) {
		t.Errorf("usage day %s: the page shows captures %v (of %d), want %v as telltale list --usage-day", day, got, total, nums)
	}
	for _, d := range shown {
		if d != day {
			t.Errorf("usage day %s: a row shows usage day %q", day, d)
		}
	}
	if loc := get(b, "location", chromedp.Location()); !strings.Contains(loc, "usage_since="+day) || !strings.Contains(loc, "usage_until="+day) {
		t.Errorf("the usage day filter is not in the address: %s", loc)
	}
}
