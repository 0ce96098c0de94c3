package analysis

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FormatUsageScript is a measurement file written by an administrator's
// usage script (ReadMeasurements): one line per license per sample.
const FormatUsageScript = "usage_script"

// Reading is one sample of a license's licenses in use, as the License
// Server's WMI pool class (Citrix_GT_License_Pool) gives it and as the
// administrators' usage scripts write it: when, which license (its PLD,
// the feature code such as XDT_PLT_UD), how many are installed and how
// many are in use.
type Reading struct {
	Time    time.Time
	License string
	Count   float64
	InUse   float64
	Line    int // in the file, from 1; 0 when not from a file
}

// The administrators' usage scripts (a scheduled PowerShell job that
// reads Citrix_GT_License_Pool every 15 minutes and appends to a CSV)
// write a date-time, the license, its count and its usage; the column
// names vary from script to script, so Telltale recognises these.
var usageScriptNames = map[string][]string{
	"time":    {"datetime", "timestamp", "time", "date", "sampled", "sampletime"},
	"license": {"license", "pld", "feature", "licensetype", "product"},
	"count":   {"count", "installed", "total", "licensecount"},
	"usage":   {"usage", "inuse", "inusecount", "used", "licensesinuse"},
}

type usageScriptColumns struct{ time, license, count, usage int }

func usageScriptHeader(header []string) (usageScriptColumns, bool) {
	find := func(key string) int { return column(header, usageScriptNames[key]) }
	c := usageScriptColumns{find("time"), find("license"), find("count"), find("usage")}
	return c, c.time >= 0 && c.license >= 0 && c.count >= 0 && c.usage >= 0
}

// IsUsageScript reports whether a CSV's first line is the header of an
// administrator's usage script: date-time, license, count, usage.
func IsUsageScript(head []byte) bool {
	rec, ok := firstRecord(head)
	if ok {
		_, ok = usageScriptHeader(rec)
	}
	return ok
}

// ParseUsageScript reads a usage script's CSV into readings; a row that
// cannot be read is a *LineError naming its line.
func ParseUsageScript(r io.Reader) ([]Reading, error) {
	cr, header, err := headed(r)
	if err != nil {
		return nil, err
	}
	cols, ok := usageScriptHeader(header)
	if !ok {
		return nil, &LineError{Line: 1, Msg: "not a usage script's CSV: want date-time, license, count and usage columns"}
	}
	var out []Reading
	err = eachRecord(cr, func(rec []string, line int) error {
		if blank(rec) {
			return nil
		}
		rd, err := cols.reading(rec, line)
		out = append(out, rd)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errf("no samples below the header")
	}
	return out, nil
}

func (c usageScriptColumns) reading(rec []string, line int) (Reading, error) {
	cell := func(i int) string {
		if i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	t, err := parseDateTime(cell(c.time))
	if err != nil {
		return Reading{}, &LineError{Line: line, Msg: fmt.Sprintf("date-time %q: want e.g. 2026-05-04 10:15:00, 5/4/2026 10:15:00 AM or RFC 3339", cell(c.time))}
	}
	lic := cell(c.license)
	if lic == "" {
		return Reading{}, &LineError{Line: line, Msg: "empty license"}
	}
	num := func(i int) (float64, error) {
		v, err := strconv.ParseFloat(strings.ReplaceAll(cell(i), ",", ""), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return 0, &LineError{Line: line, Msg: fmt.Sprintf("value %q: want a number", cell(i))}
		}
		return v, nil
	}
	n, err := num(c.count)
	if err != nil {
		return Reading{}, err
	}
	u, err := num(c.usage)
	if err != nil {
		return Reading{}, err
	}
	return Reading{Time: t, License: lic, Count: n, InUse: u, Line: line}, nil
}

// parseDateTime reads the date-times usage scripts write: RFC 3339,
// PowerShell's Get-Date default in en-US (5/4/2026 10:15:00 AM) or a
// sortable form (2026-05-04 10:15:00). A time without a zone is UTC.
func parseDateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, time.DateTime, "2006-01-02 15:04", "2006-01-02T15:04:05",
		"1/2/2006 3:04:05 PM", "1/2/2006 15:04:05", "1/2/2006 15:04", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errf("date-time %q", s)
}

// DailyPeaks turns readings into measurements: for each license and UTC
// day, the highest number in use at any one time (pools of the same
// license sampled at the same time added up first), as
// LICENSE.CountUsedMax, the figure the compliance uploads report for
// that usage day. The measurement's Line is that of the peak's first row.
func DailyPeaks(rs []Reading) []Measurement {
	type at struct {
		t   time.Time
		lic string
	}
	sums := map[at]Reading{}
	var order []at
	for _, r := range rs {
		k := at{r.Time.UTC(), r.License}
		s, ok := sums[k]
		if !ok {
			order = append(order, k)
			s = Reading{Time: k.t, License: r.License, Line: r.Line}
		}
		s.InUse += r.InUse
		s.Count += r.Count
		sums[k] = s
	}
	peak := map[[2]string]int{}
	var out []Measurement
	for _, k := range order {
		s := sums[k]
		d := [2]string{k.t.Format(time.DateOnly), k.lic + ".CountUsedMax"}
		if i, ok := peak[d]; ok {
			if s.InUse > out[i].Value {
				out[i].Value, out[i].Line = s.InUse, s.Line
			}
			continue
		}
		peak[d] = len(out)
		out = append(out, Measurement{Date: d[0], Name: d[1], Value: s.InUse, Line: s.Line})
	}
	slices.SortFunc(out, func(a, b Measurement) int {
		return cmpDateName(a.Date, a.Name, b.Date, b.Name)
	})
	return out
}

func cmpDateName(ad, an, bd, bn string) int {
	if c := strings.Compare(ad, bd); c != 0 {
		return c
	}
	return strings.Compare(an, bn)
}
