package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/testbed"
)

// TestCLI_List_UsageDay: list filters by the usage day a capture reports
// on (--usage-day, --usage-since, --usage-until), apart from the capture
// time, with serve running (its admin API) and without (the store file):
// it lists exactly the captures whose reported_for falls in the range.
func TestCLI_List_UsageDay(t *testing.T) {
	const days = 6
	s, _, rep := demoRun(t, days)
	completeCaptures(t, s.Store, testbed.Expected(days))
	flushAnalysis(t, s)
	serving := s.Config().DataDir
	stopped := filepath.Join(t.TempDir(), "d")
	if _, errOut, code := cli(t, "demo", "--days", fmt.Sprint(days), "--data", stopped, "--exit"); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	day := func(i int) string { return rep.Days[i].UsageDate.Format(time.DateOnly) }
	for _, data := range []string{serving, stopped} {
		var all []struct {
			Number      int    `json:"number"`
			ReportedFor string `json:"reported_for"`
			Time        string `json:"time"`
		}
		// Every capture that reports a usage day, with it (the store file's
		// list names the day only when asked to filter by it).
		cliJSON(t, &all, "list", "--json", "--usage-since", "2000-01-01", "--data", data)
		if data == serving {
			var every []struct {
				ReportedFor string `json:"reported_for"`
			}
			cliJSON(t, &every, "list", "--json", "--kind", "exchange,tunnel,denied", "--data", data)
			n := 0
			for _, c := range every {
				if c.ReportedFor != "" {
					n++
				}
			}
			if n != len(all) || n < days {
				t.Errorf("%d captures report a usage day, but --usage-since 2000-01-01 lists %d", n, len(all))
			}
		}
		for _, tc := range []struct {
			args     []string
			from, to string
		}{
			{[]string{"--usage-day", day(2)}, day(2), day(2)},
			{[]string{"--usage-since", day(1), "--usage-until", day(3)}, day(1), day(3)},
			{[]string{"--usage-since", day(4)}, day(4), "9999"},
		} {
			var want []int
			for _, c := range all {
				if c.ReportedFor != "" && c.ReportedFor >= tc.from && c.ReportedFor <= tc.to {
					want = append(want, c.Number)
				}
			}
			var got []struct {
				Number      int    `json:"number"`
				ReportedFor string `json:"reported_for"`
			}
			cliJSON(t, &got, append([]string{"list", "--json", "--data", data}, tc.args...)...)
			var nums []int
			for _, c := range got {
				nums = append(nums, c.Number)
			}
			slices.Sort(nums)
			slices.Sort(want)
			if len(want) < 2 || !slices.Equal(nums, want) {
				t.Errorf("%s: list %s: got captures %v, want %v (those reporting on %s to %s)", data, strings.Join(tc.args, " "), nums, want, tc.from, tc.to)
			}
		}
		// The capture time and the usage day differ: the upload sent on a
		// day reports on the day before.
		var sent []struct {
			Time        string `json:"time"`
			ReportedFor string `json:"reported_for"`
		}
		cliJSON(t, &sent, "list", "--json", "--usage-day", day(2), "--endpoint", "POST cis.citrix.com /api/upload/LicenseServerCompliance", "--data", data)
		if len(sent) != 1 || strings.HasPrefix(sent[0].Time, day(2)) {
			t.Errorf("%s: the compliance upload reporting on %s: got %+v, want one, sent another day", data, day(2), sent)
		}
		if _, errOut, code := cli(t, "list", "--usage-day", "June 1", "--data", data); code != 2 || !strings.Contains(errOut, "usage") {
			t.Errorf("list --usage-day 'June 1': exit %d %q, want 2 naming the usage day", code, errOut)
		}
		if _, errOut, code := cli(t, "list", "--usage-day", day(1), "--usage-since", day(1), "--data", data); code != 2 {
			t.Errorf("list --usage-day with --usage-since: exit %d %q, want 2", code, errOut)
		}
	}
}
