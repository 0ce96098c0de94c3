package analysis

import (
	"fmt"
	"strings"
)

// How a position is worded, the same in the CLI, the report and the UI's
// headline.

// Headline is the answer a vendor review turns on, in one sentence:
// which license is over, since when, by how much; which is dormant.
func (l LicensePosition) Headline() string {
	switch l.Status {
	case StatusOver:
		o := l.Overuse
		return fmt.Sprintf("%s (%s) is over installed: %d %s from %s to %s, by up to %s on %s (installed %s).",
			l.Code, l.Name(), o.Days, pluralS(o.Days, "day"), o.First, o.Last, num(o.Highest), o.HighestDay, num(l.Installed.Value))
	case StatusNear:
		return fmt.Sprintf("%s (%s) is near installed: peak %s of %s on %s.", l.Code, l.Name(), num(l.Peak.Value), num(l.Installed.Value), l.Peak.Day)
	case StatusDormant:
		return fmt.Sprintf("%s (%s) is mostly dormant: %s of %s installed unused at the peak (%s%%).",
			l.Code, l.Name(), num(*l.Dormant), num(l.Installed.Value), num(*l.DormantPercent))
	case StatusOK:
		return fmt.Sprintf("%s (%s) is within installed: peak %s of %s.", l.Code, l.Name(), num(l.Peak.Value), num(l.Installed.Value))
	}
	return fmt.Sprintf("%s (%s): %s.", l.Code, l.Name(), strings.Join(l.Missing, "; "))
}

// PositionLines words one license's numbers, each with the captures it
// comes from.
func PositionLines(l LicensePosition) []string {
	var out []string
	if l.Installed != nil {
		s := fmt.Sprintf("installed %s, from %s%s", num(l.Installed.Value), l.InstalledFrom, captures(l.Installed.IDs, l.Installed.Numbers))
		if l.ReportedInstalled != nil {
			s += fmt.Sprintf("; the License Server reports %s%s", num(l.ReportedInstalled.Value), captures(l.ReportedInstalled.IDs, l.ReportedInstalled.Numbers))
		}
		out = append(out, s)
	}
	if len(l.InstalledChanges) > 1 {
		var ch []string
		for _, c := range l.InstalledChanges[1:] {
			ch = append(ch, fmt.Sprintf("%s on %s%s", num(c.Value), c.Day, captures(c.IDs, c.Numbers)))
		}
		out = append(out, "installed count changed: "+strings.Join(ch, ", "))
	}
	if l.Overdraft != nil {
		out = append(out, "overdraft allowance "+num(*l.Overdraft))
	} else {
		out = append(out, "overdraft allowance unknown (not sent; licenses.entitlements in the config or the Position page can give it)")
	}
	if l.Peak != nil {
		out = append(out, fmt.Sprintf("reported peak %s on %s%s; latest day %s: %s in use%s",
			num(l.Peak.Value), l.Peak.Day, captures(l.Peak.IDs, l.Peak.Numbers), l.Today.Day, num(l.Today.Value), captures(l.Today.IDs, l.Today.Numbers)))
	}
	if c := l.Counted; c != nil {
		what := "the usage upload lists"
		if l.Model == "UD" {
			what = "user/device licenses counted from the usage upload:"
		}
		out = append(out, fmt.Sprintf("%s at most %s distinct users and %s distinct devices, on %s%s",
			what, num(c.Users), num(c.Devices), c.Day, captures(c.IDs, c.Numbers)))
	}
	if l.Measured != nil {
		out = append(out, fmt.Sprintf("your measured peak %s on %s", num(l.Measured.Value), l.Measured.Day))
	}
	if o := l.Overuse; o.Days > 0 {
		out = append(out, fmt.Sprintf("over installed on %d %s, first %s, last %s, highest excess %s on %s%s",
			o.Days, pluralS(o.Days, "day"), o.First, o.Last, num(o.Highest), o.HighestDay, captures(o.IDs, o.Numbers)))
	} else if l.Peak != nil && l.Installed != nil {
		out = append(out, "never over installed in the period")
	}
	if l.Dormant != nil {
		out = append(out, fmt.Sprintf("dormant entitlement %s (%s%% of installed)", num(*l.Dormant), num(*l.DormantPercent)))
	}
	out = append(out, l.Projection.Text)
	for _, m := range l.Missing {
		out = append(out, "missing: "+m)
	}
	return out
}

func num(v float64) string { return valueText(v) }

// captures names the captures a number comes from: by their numbers
// ("no. 12") when the position has them, else by id.
func captures(ids []string, nums []int) string {
	names := ids
	if len(nums) == len(ids) && len(nums) > 0 {
		names = make([]string, len(nums))
		for i, n := range nums {
			names[i] = fmt.Sprintf("no. %d", n)
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return " (capture " + names[0] + ")"
	case 2, 3, 4, 5:
		return " (captures " + strings.Join(names, ", ") + ")"
	}
	return fmt.Sprintf(" (captures %s … %s, %d in all)", names[0], names[len(names)-1], len(names))
}
