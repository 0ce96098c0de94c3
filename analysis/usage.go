package analysis

import (
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/telltale/telltale/inspect"
)

// UsageRow is what the usage upload's per-slice files say of one feature
// on one usage day: how many distinct users and devices used it, and how
// many check-outs and check-ins the files list. Every slice file of the
// bundle counts together (one bundle covers one day in several slices).
type UsageRow struct {
	Feature   string `json:"feature"`
	Day       string `json:"day"` // YYYY-MM-DD (UTC) of the events; "" when they carry no time
	Users     int    `json:"users"`
	Devices   int    `json:"devices"`
	CheckOuts int    `json:"check_outs"`
	CheckIns  int    `json:"check_ins"`
	Events    int    `json:"events"`
	Files     int    `json:"files"` // slice files that listed the feature that day
}

// Usage metrics, as figures: FEATURE.UsageUsers and so on.
const (
	MetricUsageUsers     = "UsageUsers"
	MetricUsageDevices   = "UsageDevices"
	MetricUsageCheckOuts = "UsageCheckOuts"
)

// usageColumns finds the columns of a usage file's header: a feature or
// license column, and a user or a device column (time and event
// optional). Invented by the testbed (EventTimeMs,Event,Feature,User,
// Device); a real upload's columns are matched by the same names.
type usageColumns struct{ time, event, feature, user, device int }

func usageHeader(head []string) (usageColumns, bool) {
	c := usageColumns{-1, -1, -1, -1, -1}
	for i, h := range head {
		k := strings.ToLower(strings.Trim(strings.TrimSpace(h), `"`))
		switch {
		case k == "feature" || k == "featureid" || k == "licenseid" || k == "license":
			c.feature = i
		case keyIn(k, userKeys, userSuffixes):
			c.user = i
		case keyIn(k, hostKeys, hostSuffixes):
			c.device = i
		case k == "event" || k == "eventtype" || k == "action":
			c.event = i
		case strings.HasPrefix(k, "eventtime") || k == "time" || k == "timestamp":
			c.time = i
		}
	}
	return c, c.feature >= 0 && (c.user >= 0 || c.device >= 0)
}

// UsageIn reads the usage files among decoded fields: every text whose
// first line is a header with a feature column and a user or device
// column. Rows are by feature, then day.
func UsageIn(fields []inspect.Field) []UsageRow {
	type key struct{ feature, day string }
	type tally struct {
		row            UsageRow
		users, devices map[string]bool
	}
	tallies := map[key]*tally{}
	for _, f := range fields {
		text, ok := f.Value.(string)
		if f.Type != inspect.KindText || !ok {
			continue
		}
		cr := csv.NewReader(strings.NewReader(text))
		cr.FieldsPerRecord, cr.ReuseRecord = -1, true
		head, err := cr.Read()
		if err != nil {
			continue
		}
		cols, ok := usageHeader(slices.Clone(head))
		if !ok {
			continue
		}
		inFile := map[key]bool{}
		for {
			rec, err := cr.Read()
			if err != nil {
				break
			}
			cell := func(i int) string {
				if i < 0 || i >= len(rec) {
					return ""
				}
				return strings.TrimSpace(rec[i])
			}
			k := key{cell(cols.feature), eventDay(cell(cols.time))}
			if k.feature == "" {
				continue
			}
			t := tallies[k]
			if t == nil {
				t = &tally{row: UsageRow{Feature: k.feature, Day: k.day}, users: map[string]bool{}, devices: map[string]bool{}}
				tallies[k] = t
			}
			if !inFile[k] {
				inFile[k] = true
				t.row.Files++
			}
			t.row.Events++
			if u := cell(cols.user); u != "" {
				t.users[u] = true
			}
			if d := cell(cols.device); d != "" {
				t.devices[d] = true
			}
			switch strings.ToUpper(cell(cols.event)) {
			case "CHECKOUT", "CHECK-OUT", "CHECKEDOUT", "OUT":
				t.row.CheckOuts++
			case "CHECKIN", "CHECK-IN", "CHECKEDIN", "IN":
				t.row.CheckIns++
			}
		}
	}
	out := make([]UsageRow, 0, len(tallies))
	for _, t := range tallies {
		t.row.Users, t.row.Devices = len(t.users), len(t.devices)
		out = append(out, t.row)
	}
	slices.SortFunc(out, func(a, b UsageRow) int {
		return strings.Compare(a.Feature+"\x00"+a.Day, b.Feature+"\x00"+b.Day)
	})
	return out
}

// eventDay is the UTC day of an event's time: epoch milliseconds or
// seconds, or RFC 3339; "" when it is none of these.
func eventDay(s string) string {
	if s == "" {
		return ""
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > 1e11 {
			return time.UnixMilli(n).UTC().Format(time.DateOnly)
		}
		return time.Unix(n, 0).UTC().Format(time.DateOnly)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(time.DateOnly)
	}
	return ""
}

// usagePoints are the usage rows as figures, each dated by its day.
func usagePoints(rows []UsageRow) []Point {
	var pts []Point
	for _, r := range rows {
		for _, m := range []struct {
			metric, unit, label string
			v                   int
		}{
			{MetricUsageUsers, "users", "distinct users (usage upload)", r.Users},
			{MetricUsageDevices, "devices", "distinct devices (usage upload)", r.Devices},
			{MetricUsageCheckOuts, "check-outs", "check-outs (usage upload)", r.CheckOuts},
		} {
			pts = append(pts, Point{Name: r.Feature + "." + m.metric, Value: float64(m.v), Unit: m.unit, Label: m.label,
				Day: r.Day, Path: "usage files"})
		}
	}
	return pts
}
