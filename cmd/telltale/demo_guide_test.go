package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/telltale/telltale/testbed"
)

// TestDemo_GuideSaysWhatThePositionShows: the guide's position line says
// what telltale position computes of the demo's own captures, not what
// the schedule would do in a month: before OveruseDay no license is over;
// after it, the one that is, on the usage days position names; and which
// is mostly dormant. The drift line names the upgrade only once it came.
func TestDemo_GuideSaysWhatThePositionShows(t *testing.T) {
	for _, days := range []int{testbed.UpgradeDay - 1, testbed.OveruseDay + 1} {
		t.Run(fmt.Sprint(days), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			guide, errOut, code := cli(t, "demo", "--days", fmt.Sprint(days), "--data", dir, "--exit")
			if code != 0 {
				t.Fatalf("demo: exit %d: %s", code, errOut)
			}
			line := regexp.MustCompile(`(?m)# your license position: (.*)$`).FindStringSubmatch(guide)
			if line == nil {
				t.Fatalf("the guide has no position line:\n%s", guide)
			}
			var pos struct {
				Licenses []struct {
					Code    string `json:"code"`
					Status  string `json:"status"`
					Overuse struct {
						First, Last string
						Highest     float64
					} `json:"overuse"`
				} `json:"licenses"`
			}
			cliJSON(t, &pos, "position", "--json", "--data", dir)
			var over, dormant []string
			for _, l := range pos.Licenses {
				switch l.Status {
				case "over":
					over = append(over, fmt.Sprintf("%s over installed on usage days %s to %s, by up to %v", l.Code, l.Overuse.First, l.Overuse.Last, l.Overuse.Highest))
				case "dormant":
					dormant = append(dormant, l.Code)
				}
			}
			overNow := days >= testbed.OveruseDay+1
			if overNow != (len(over) == 1) || len(dormant) == 0 {
				t.Fatalf("day %d: position says over %v, dormant %v: the test's premise fails", days, over, dormant)
			}
			want := "no license over installed"
			if overNow {
				want = over[0]
			}
			if got := line[1]; !regexp.MustCompile(`^` + regexp.QuoteMeta(want) + `;.*\b` + dormant[0] + `\b.*mostly dormant$`).MatchString(got) {
				t.Errorf("--days %d: the guide says %q\nwant %q and %s mostly dormant, as position says", days, got, want, dormant[0])
			}
			upgrade := regexp.MustCompile(`drift .*adds ` + testbed.UpgradeField).MatchString(guide)
			if upgrade != (days >= testbed.UpgradeDay) {
				t.Errorf("--days %d: the drift line names the day %d upgrade: %v", days, testbed.UpgradeDay, upgrade)
			}
		})
	}
}
