package analysis

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Measurement is one figure the buyer measured on one day.
type Measurement struct {
	Date  string  `json:"date"` // YYYY-MM-DD
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Line  int     `json:"line"` // in the file, from 1
	// License is the license as the file names it ("Citrix Virtual Apps
	// and Desktops Premium, Concurrent"), when it names one in words.
	License string `json:"license,omitempty"`
}

// ParseMeasurements reads a CSV of date, figure name, value. The first
// line may be a header (its value column is not a number); "#" starts a
// comment line. Dates are YYYY-MM-DD or RFC 3339 (taken as their UTC
// date). A malformed line is a *LineError; so is a second value for the
// same figure and day.
func ParseMeasurements(r io.Reader) ([]Measurement, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []Measurement
	first := map[[2]string]int{}
	n := 0
	err := eachRecord(cr, func(rec []string, line int) error {
		n++
		if len(rec) != 3 {
			return &LineError{Line: line, Msg: fmt.Sprintf("%d columns, want 3: date, figure name, value", len(rec))}
		}
		if n == 1 && isHeader(rec) {
			return nil
		}
		m, err := parseMeasurement(rec, line)
		if err != nil {
			return err
		}
		k := [2]string{m.Date, m.Name}
		if l, dup := first[k]; dup {
			return &LineError{Line: line, Msg: fmt.Sprintf("a second value for %s on %s (the first is on line %d)", m.Name, m.Date, l)}
		}
		first[k] = line
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errf("no measurements: want lines of date, figure name, value")
	}
	return out, nil
}

func isHeader(rec []string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(rec[2]), 64)
	_, derr := parseDate(rec[0])
	return err != nil && derr != nil
}

func parseMeasurement(rec []string, line int) (Measurement, error) {
	d, err := parseDate(rec[0])
	if err != nil {
		return Measurement{}, &LineError{Line: line, Msg: fmt.Sprintf("date %q: want YYYY-MM-DD or an RFC 3339 time", rec[0])}
	}
	name := strings.TrimSpace(rec[1])
	if name == "" {
		return Measurement{}, &LineError{Line: line, Msg: "empty figure name (telltale figures lists the names)"}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(rec[2]), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Measurement{}, &LineError{Line: line, Msg: fmt.Sprintf("value %q: want a number", rec[2])}
	}
	return Measurement{Date: d, Name: name, Value: v, Line: line}, nil
}

func parseDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Format(time.DateOnly), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", err
	}
	return t.UTC().Format(time.DateOnly), nil
}

// Tolerance is how far a reported figure may be from the measured one
// and still agree: by Abs, or by Rel times the measured value, whichever
// is larger.
type Tolerance struct {
	Abs float64 `json:"abs"`
	Rel float64 `json:"rel"` // a fraction: 0.05 is 5%
}

// ParseTolerance reads "2" (absolute) or "5%" (relative).
func ParseTolerance(s string) (Tolerance, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return Tolerance{}, errf("tolerance %q: want a number such as 2, or a percentage such as 5%%", s)
		}
		return Tolerance{Rel: v / 100}, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return Tolerance{}, errf("tolerance %q: want a number such as 2, or a percentage such as 5%%", s)
	}
	return Tolerance{Abs: v}, nil
}

func (t Tolerance) String() string {
	if t.Rel > 0 {
		return strconv.FormatFloat(t.Rel*100, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(t.Abs, 'f', -1, 64)
}

func (t Tolerance) agree(reported, measured float64) bool {
	return math.Abs(reported-measured) <= max(t.Abs, t.Rel*math.Abs(measured))+1e-9
}

// Mismatch kinds.
const (
	ReportedHigher      = "reported_higher"       // Citrix was told more than was measured
	MeasuredHigher      = "measured_higher"       // Citrix was told less than was measured
	ReportedNotMeasured = "reported_not_measured" // a day reported that has no measurement
	MeasuredNotReported = "measured_not_reported" // a day measured that nothing reported
	// Unmatched is no mismatch: a measured figure that nothing ever
	// reported, on any day (a license this License Server does not
	// hold, or a name Telltale could not tell), so there is nothing to
	// compare it with.
	Unmatched = "unmatched"
)

// Mismatch is one figure on one day where what was reported and what was
// measured disagree.
type Mismatch struct {
	Date     string   `json:"date"`
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Reported *float64 `json:"reported"`
	Measured *float64 `json:"measured"`
	// Difference is reported minus measured; 0 when one is missing.
	Difference float64 `json:"difference"`
	ID         string  `json:"id,omitempty"`   // the capture that reported it
	Line       int     `json:"line,omitempty"` // the measurement's line
}

// Agree is the status of a figure-day where report and measurement agree.
const Agree = "agree"

// Reconciliation is the outcome of Reconcile.
type Reconciliation struct {
	Tolerance  string     `json:"tolerance"`
	Compared   int        `json:"compared"` // figure-days with both a report and a measurement
	Agreed     int        `json:"agreed"`
	Mismatches []Mismatch `json:"mismatches"`
	// Rows are every figure-day looked at, agreeing or not, by date and
	// name; Days is their number and Counts their number by status (agree
	// or a mismatch kind), which add up to Days.
	Rows   []Row          `json:"rows"`
	Days   int            `json:"days"`
	Counts map[string]int `json:"counts"`
	// Unmatched names the measured figures that matched no reported
	// figure at all, with the file's words for them; their rows have
	// status Unmatched and are not mismatches.
	Unmatched []string `json:"unmatched"`
}

// Row is one figure on one day: what was reported, what was measured,
// and whether they agree (Status: Agree or a mismatch kind).
type Row struct {
	Mismatch
	Status string `json:"status"`
}

// Reconcile compares reported figures with measured ones, day by day (the
// UTC date of Point.Time). Only figures the measurements name take part;
// a figure reported several times a day counts with its last report. A
// reported day without a measurement is a mismatch only within the span
// of days measured for that figure, so that a measurement file covering
// one month is not faulted for the others.
func Reconcile(reported []Point, measured []Measurement, tol Tolerance) Reconciliation {
	res := Reconciliation{Tolerance: tol.String(), Mismatches: []Mismatch{}, Rows: []Row{}, Unmatched: []string{}}
	span := map[string][2]string{}
	meas := map[[2]string]Measurement{}
	ever := map[string]bool{}
	for _, p := range reported {
		if _, ok := p.Number(); ok {
			ever[p.Name] = true
		}
	}
	unmatched := 0
	for _, m := range measured {
		if !ever[m.Name] {
			v := m.Value
			res.Rows = append(res.Rows, Row{Mismatch{Date: m.Date, Name: m.Name, Kind: Unmatched, Measured: &v, Line: m.Line}, Unmatched})
			unmatched++
			if w := unmatchedWords(m); !slices.Contains(res.Unmatched, w) {
				res.Unmatched = append(res.Unmatched, w)
			}
			continue
		}
		meas[[2]string{m.Date, m.Name}] = m
		s, ok := span[m.Name]
		if !ok || m.Date < s[0] {
			s[0] = m.Date
		}
		if !ok || m.Date > s[1] {
			s[1] = m.Date
		}
		span[m.Name] = s
	}
	rep := map[[2]string]Point{}
	for _, p := range reported {
		if _, named := span[p.Name]; !named {
			continue
		}
		if _, ok := p.Number(); !ok {
			continue
		}
		k := [2]string{p.Date(), p.Name}
		if old, ok := rep[k]; !ok || p.Time >= old.Time {
			rep[k] = p
		}
	}
	for k, p := range rep {
		r, _ := p.Number()
		m, ok := meas[k]
		switch {
		case !ok:
			if s := span[k[1]]; k[0] >= s[0] && k[0] <= s[1] {
				res.Mismatches = append(res.Mismatches, Mismatch{Date: k[0], Name: k[1], Kind: ReportedNotMeasured, Reported: &r, ID: p.ID})
			}
		case tol.agree(r, m.Value):
			res.Compared++
			res.Agreed++
			v := m.Value
			res.Rows = append(res.Rows, Row{Mismatch{Date: k[0], Name: k[1], Reported: &r, Measured: &v, Difference: r - v, ID: p.ID, Line: m.Line}, Agree})
		default:
			res.Compared++
			kind := ReportedHigher
			if r < m.Value {
				kind = MeasuredHigher
			}
			v := m.Value
			res.Mismatches = append(res.Mismatches, Mismatch{Date: k[0], Name: k[1], Kind: kind, Reported: &r, Measured: &v,
				Difference: r - m.Value, ID: p.ID, Line: m.Line})
		}
	}
	for k, m := range meas {
		if _, ok := rep[k]; !ok {
			v := m.Value
			res.Mismatches = append(res.Mismatches, Mismatch{Date: k[0], Name: k[1], Kind: MeasuredNotReported, Measured: &v, Line: m.Line})
		}
	}
	slices.SortFunc(res.Mismatches, byDateName)
	res.Counts = map[string]int{Agree: res.Agreed, ReportedHigher: 0, MeasuredHigher: 0, ReportedNotMeasured: 0, MeasuredNotReported: 0, Unmatched: unmatched}
	for _, m := range res.Mismatches {
		res.Rows = append(res.Rows, Row{m, m.Kind})
		res.Counts[m.Kind]++
	}
	slices.SortFunc(res.Rows, func(a, b Row) int { return byDateName(a.Mismatch, b.Mismatch) })
	res.Days = len(res.Rows)
	return res
}

func byDateName(a, b Mismatch) int {
	if c := strings.Compare(a.Date, b.Date); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// unmatchedWords names a measured figure nothing reported: its name,
// and the file's words for its license when they differ.
func unmatchedWords(m Measurement) string {
	if m.License != "" && !strings.HasPrefix(m.Name, m.License) {
		return m.Name + " (" + m.License + ")"
	}
	return m.Name
}

// WithOverdraft adds, for every day a license's peak in use was reported
// (CODE.CountUsedMax) with an installed count known on or before that
// day (CODE.Installed), the licenses in overdraft that it implies,
// CODE.Overdraft = max(0, peak - installed), dated and attributed as the
// peak. It lets the Historical Use export's overdraft column be compared
// on its own, not summed into the peak.
func WithOverdraft(pts []Point) []Point {
	inst := newInstalledSeries(pts)
	out := slices.Clone(pts)
	for _, p := range pts {
		subj, metric := subjectOf(p.Name)
		v, ok := p.Number()
		if metric != "CountUsedMax" || subj == "" || !ok {
			continue
		}
		n, _, found := inst.on(subj, p.Date())
		if !found {
			continue
		}
		q := p
		q.Name, q.Value, q.Label, q.Unit = subj+".Overdraft", max(0, v-n), "in overdraft", "licenses"
		out = append(out, q)
	}
	return out
}
