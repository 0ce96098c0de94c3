package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/testbed"
)

// TestBrowser_UsageUploadCounted: the usage bundle's per-slice files are
// decoded: per feature and usage day, the distinct users and devices and
// the check-outs are what the testbed put into the bundle, as figures,
// on the capture page, and in the position, where the user/device
// license is counted from them.
func TestBrowser_UsageUploadCounted(t *testing.T) {
	b := newBrowser(t)
	s, _, rep := demoRun(t, testbed.NewFeatureDay+2)
	completeCaptures(t, s.Store, testbed.Expected(testbed.NewFeatureDay+2))
	flushAnalysis(t, s)
	data := s.Config().DataDir

	type key struct{ name, day string }
	var pts []struct {
		ID    json.Number `json:"id"`
		Name  string      `json:"name"`
		Day   string      `json:"day"`
		Value any         `json:"value"`
	}
	cliJSON(t, &pts, "figures", "--json", "--data", data)
	got := map[key]float64{}
	ids := map[string]string{} // usage day -> capture id
	for _, p := range pts {
		if v, ok := p.Value.(float64); ok && strings.Contains(p.Name, ".Usage") {
			got[key{p.Name, p.Day}] = v
			ids[p.Day] = p.ID.String()
		}
	}
	checked := 0
	peak := analysis.Counted{}
	for _, d := range rep.Days {
		day := d.UsageDate.Format(time.DateOnly)
		for _, u := range d.Usage {
			for metric, want := range map[string]int{analysis.MetricUsageUsers: u.Users, analysis.MetricUsageDevices: u.Devices, analysis.MetricUsageCheckOuts: u.CheckOuts} {
				if g, ok := got[key{u.ID + "." + metric, day}]; !ok || g != float64(want) {
					t.Errorf("%s.%s on %s: got %v (found %v), want %d", u.ID, metric, day, g, ok, want)
				}
				checked++
			}
			if u.ID == testbed.NewFeatureID && float64(u.Users) > peak.Users {
				peak = analysis.Counted{Day: day, Users: float64(u.Users), Devices: float64(u.Devices)}
			}
		}
	}
	if checked < 3*3*len(rep.Days) {
		t.Fatalf("checked %d usage figures, want every feature of every day", checked)
	}

	// The position counts the user/device license from them.
	var pos analysis.Position
	cliJSON(t, &pos, "position", "--json", "--data", data)
	for _, l := range pos.Licenses {
		if l.Code != testbed.NewFeatureID {
			continue
		}
		if c := l.Counted; c == nil || c.Day != peak.Day || c.Users != peak.Users || c.Devices != peak.Devices {
			t.Errorf("position of %s: counted %+v, want %+v", l.Code, c, peak)
		}
		if w := fmt.Sprintf("user/device licenses counted from the usage upload: at most %v distinct users", peak.Users); !strings.Contains(strings.Join(analysis.PositionLines(l), "\n"), w) {
			t.Errorf("position lines of %s lack %q", l.Code, w)
		}
	}

	// The capture page shows the counts of its upload.
	last := rep.Days[len(rep.Days)-1]
	day := last.UsageDate.Format(time.DateOnly)
	b.run("sign in", chromedp.Navigate(loginURL(t, data)), visible("#position-answers"))
	b.run("usage capture", chromedp.Navigate("http://"+s.AdminAddr()+"/#/capture/"+ids[day]), visible("#reported-usage"))
	for _, u := range last.Usage {
		row := eval[[]string](b, `[...document.querySelectorAll('#reported-usage tr[data-feature="`+u.ID+`"][data-day="`+day+`"] td')].map(td => td.textContent)`)
		want := []string{u.ID, day, fmt.Sprint(u.Users), fmt.Sprint(u.Devices), fmt.Sprint(u.CheckOuts)}
		if len(row) < 5 || strings.Join(row[:5], "|") != strings.Join(want, "|") {
			t.Errorf("capture page, usage of %s on %s: got %q, want %q", u.ID, day, row, want)
		}
	}
}
