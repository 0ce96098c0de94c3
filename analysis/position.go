package analysis

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// PositionOptions select the period of a position and add what the
// buyer knows. The zero value is the last 30 usage days reported, with
// the built-in catalog and no entitlements.
type PositionOptions struct {
	// Since and Until are usage days, YYYY-MM-DD, both included; "" for
	// Until is the latest usage day reported, "" for Since is Days days
	// before Until.
	Since, Until string
	// Days is the period when Since is "": 30, 90, 365…; 0 means 30.
	Days int
	// Catalog names the licenses; nil is the built-in one.
	Catalog *Catalog
	// Entitlements override or add installed counts (the contract).
	Entitlements []Entitlement
	// Measured is the buyer's own measurement (ReadMeasurements), for
	// the measured peak; nil when none was given.
	Measured []Measurement
	// Names name the endpoints a number comes from.
	Names Names
	// Numbers give the captures their numbers (1, 2, 3… as the review
	// UI, list and report show them) in the position's words; nil words
	// them by id.
	Numbers *Numbers
}

// Position is the buyer's license position, license by license, from
// the very figures the License Server sent: what it owns against what it
// reported using, before the vendor computes it.
type Position struct {
	From   string `json:"from"` // usage days of the period, both included
	To     string `json:"to"`
	Latest string `json:"latest,omitempty"` // the latest usage day reported
	// Licenses are ordered by what needs attention: over first, then by
	// code.
	Licenses []LicensePosition `json:"licenses"`
	// Missing says, in words, what is not known and why ("no compliance
	// upload seen yet: reported peaks unknown").
	Missing []string `json:"missing"`
}

// DayValue is a number on a usage day, with the captures it comes from.
type DayValue struct {
	Day   string   `json:"day"`
	Value float64  `json:"value"`
	IDs   []string `json:"ids,omitempty"`
	// Numbers are the captures' numbers, when PositionOptions.Numbers
	// gives them.
	Numbers []int `json:"numbers,omitempty"`
}

// LicensePosition is one license's position.
type LicensePosition struct {
	License
	// Installed is the count owned: the contract's when an entitlement
	// gives it, else what the License Server last reported in the period
	// (nil: unknown). InstalledFrom says where it comes from.
	Installed     *DayValue `json:"installed,omitempty"`
	InstalledFrom string    `json:"installed_from,omitempty"`
	// ReportedInstalled is the License Server's own count, when an
	// entitlement overrides it; InstalledChanges are the days it changed.
	ReportedInstalled *DayValue    `json:"reported_installed,omitempty"`
	InstalledChanges  []DayValue   `json:"installed_changes,omitempty"`
	Entitlement       *Entitlement `json:"entitlement,omitempty"`
	// Overdraft is the overdraft allowance, when known (the config's).
	Overdraft *float64 `json:"overdraft,omitempty"`
	// Peak is the highest in use reported in the period, on its day;
	// Today the latest day's; Measured the measurement's peak.
	Peak     *DayValue `json:"peak,omitempty"`
	Today    *DayValue `json:"today,omitempty"`
	Measured *DayValue `json:"measured,omitempty"`
	Overuse  Overuse   `json:"overuse"`
	// Counted is what the usage upload's files counted on the day of
	// most distinct users in the period: a user/device license is held
	// by each user or device (UsageRow); nil when no usage upload
	// listed the license.
	Counted *Counted `json:"counted,omitempty"`
	// Dormant is installed minus peak, when both are known and the peak
	// is lower; DormantPercent its share of installed.
	Dormant        *float64 `json:"dormant,omitempty"`
	DormantPercent *float64 `json:"dormant_percent,omitempty"`
	// Series is the daily reported peak with the installed line.
	Series     []SeriesDay `json:"series"`
	Projection Projection  `json:"projection"`
	// Status is over, near (peak within 10% of installed), dormant (half
	// or more unused), ok, or unknown.
	Status  string   `json:"status"`
	Missing []string `json:"missing"`
}

// Counted is one usage day of a license as the usage upload counts it.
type Counted struct {
	Day     string   `json:"day"`
	Users   float64  `json:"users"`
	Devices float64  `json:"devices"`
	IDs     []string `json:"ids,omitempty"`
	Numbers []int    `json:"numbers,omitempty"`
}

// Overuse is how the reported peak went over installed in the period.
type Overuse struct {
	Days       int      `json:"days"`
	Highest    float64  `json:"highest"` // the highest excess
	HighestDay string   `json:"highest_day,omitempty"`
	First      string   `json:"first,omitempty"`
	Last       string   `json:"last,omitempty"`
	IDs        []string `json:"ids,omitempty"`
	Numbers    []int    `json:"numbers,omitempty"`
}

// SeriesDay is one usage day of a license.
type SeriesDay struct {
	Day       string   `json:"day"`
	Peak      float64  `json:"peak"`
	Installed *float64 `json:"installed,omitempty"`
	ID        string   `json:"id"`
}

// Projection is a plain least-squares line through the daily peaks of
// the period: when it would cross installed, if it rises. It is a
// projection, not a forecast: Text says so.
type Projection struct {
	PerDay  float64 `json:"per_day"`
	Crosses string  `json:"crosses,omitempty"` // the usage day it reaches installed
	Text    string  `json:"text"`
}

// Position statuses.
const (
	StatusOver    = "over"
	StatusNear    = "near"
	StatusDormant = "dormant"
	StatusOK      = "ok"
	StatusUnknown = "unknown"
)

// ComputePosition works the position out of reported figures (every
// figure the analysis has: the period is chosen here, by usage day).
func ComputePosition(pts []Point, o PositionOptions) Position {
	peaks := map[string][]Point{}
	latest := ""
	for _, p := range pts {
		subj, metric := subjectOf(p.Name)
		if _, ok := p.Number(); ok && metric == "CountUsedMax" && subj != "" {
			peaks[subj] = append(peaks[subj], p)
			latest = max(latest, p.Date())
		}
	}
	pos := Position{Latest: latest, Licenses: []LicensePosition{}, Missing: []string{}}
	pos.From, pos.To = o.period(latest)
	inst := newInstalledSeries(pts)
	codes := KnownLicenses(pts)
	ents := map[string]Entitlement{}
	for _, e := range o.Entitlements {
		known := slices.Clone(codes)
		if up := strings.ToUpper(strings.TrimSpace(e.License)); isCode(up) {
			known = append(known, up) // a license the server does not report
		}
		code, ok := o.Catalog.Lookup(e.License, known)
		if !ok {
			pos.Missing = append(pos.Missing, fmt.Sprintf("entitlement %q names no license Telltale knows: use a feature code such as XDT_PLT_UD", e.License))
			continue
		}
		ents[code] = e
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	switch {
	case len(pts) == 0:
		pos.Missing = append(pos.Missing, "nothing reported yet: no compliance upload or activation renewal has been captured")
	case len(peaks) == 0:
		pos.Missing = append(pos.Missing, "no compliance upload seen yet: reported peaks unknown")
	}
	if len(pts) > 0 && len(inst) == 0 && len(ents) == 0 {
		pos.Missing = append(pos.Missing, "no activation renewal seen yet: installed unknown")
	}
	if o.Measured == nil {
		pos.Missing = append(pos.Missing, "no measurement of your own given: measured peaks unknown")
	}
	counted := countedByLicense(pts)
	for _, code := range codes {
		lp := o.license(code, peaks[code], inst, pos.From, pos.To)
		lp.Counted = counted.peak(code, pos.From, pos.To)
		if e, ok := ents[code]; ok {
			lp.entitle(e, pos.To)
		}
		lp.measure(o.Measured, pos.From, pos.To)
		lp.derive()
		lp.number(o.Numbers)
		pos.Licenses = append(pos.Licenses, lp)
	}
	rank := map[string]int{StatusOver: 0, StatusNear: 1, StatusDormant: 2, StatusOK: 3, StatusUnknown: 4}
	slices.SortStableFunc(pos.Licenses, func(a, b LicensePosition) int {
		if c := rank[a.Status] - rank[b.Status]; c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	return pos
}

// period is the first and last usage day of the position.
func (o PositionOptions) period(latest string) (string, string) {
	to := o.Until
	if to == "" {
		to = latest
	}
	if to == "" {
		to = time.Now().UTC().Format(time.DateOnly)
	}
	from := o.Since
	if from == "" {
		days := o.Days
		if days <= 0 {
			days = 30
		}
		t, err := time.Parse(time.DateOnly, to)
		if err == nil {
			from = t.AddDate(0, 0, 1-days).Format(time.DateOnly)
		}
	}
	return from, to
}

// license is one license's reported figures in the period.
func (o PositionOptions) license(code string, peaks []Point, inst installedSeries, from, to string) LicensePosition {
	lp := LicensePosition{License: o.Catalog.Describe(code), Series: []SeriesDay{}, Missing: []string{}}
	byDay := map[string]Point{}
	for _, p := range peaks {
		if d := p.Date(); d >= from && d <= to {
			if old, ok := byDay[d]; !ok || p.Time >= old.Time {
				byDay[d] = p
			}
		}
	}
	days := make([]string, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	slices.Sort(days)
	for _, d := range days {
		p := byDay[d]
		v, _ := p.Number()
		s := SeriesDay{Day: d, Peak: v, ID: p.ID}
		if n, _, ok := inst.on(code, d); ok {
			s.Installed = &n
		}
		lp.Series = append(lp.Series, s)
		if lp.Peak == nil || v > lp.Peak.Value {
			lp.Peak = &DayValue{Day: d, Value: v, IDs: []string{p.ID}}
		}
	}
	if len(days) > 0 {
		last := lp.Series[len(lp.Series)-1]
		lp.Today = &DayValue{Day: last.Day, Value: last.Peak, IDs: []string{last.ID}}
	} else {
		lp.Missing = append(lp.Missing, "no compliance upload reported this license in the period: reported peak unknown")
	}
	if n, p, ok := inst.on(code, to); ok {
		lp.Installed = &DayValue{Day: p.Date(), Value: n, IDs: []string{p.ID}}
		lp.InstalledFrom = o.Names.Label(p.Endpoint)
		for _, c := range inst.changes(code) {
			v, _ := c.Number()
			lp.InstalledChanges = append(lp.InstalledChanges, DayValue{Day: c.Date(), Value: v, IDs: []string{c.ID}})
		}
	} else {
		lp.Missing = append(lp.Missing, "no activation renewal seen yet: installed unknown")
	}
	return lp
}

// entitle lets the contract's count override the reported one.
func (lp *LicensePosition) entitle(e Entitlement, to string) {
	e2 := e
	lp.Entitlement = &e2
	lp.ReportedInstalled = lp.Installed
	lp.Installed = &DayValue{Day: to, Value: e.Quantity}
	from := e.From
	if from == "" {
		from = "config licenses.entitlements"
	}
	lp.InstalledFrom = "your entitlement (" + from + ")"
	lp.Missing = slices.DeleteFunc(lp.Missing, func(s string) bool { return strings.Contains(s, "installed unknown") })
	for i := range lp.Series {
		q := e.Quantity
		lp.Series[i].Installed = &q
	}
	if e.Overdraft > 0 {
		od := e.Overdraft
		lp.Overdraft = &od
	}
	if e.EndDate != "" && e.EndDate < to {
		lp.Missing = append(lp.Missing, "the contract ended on "+e.EndDate)
	}
}

// measure takes the measurement's peak of the license in the period.
func (lp *LicensePosition) measure(ms []Measurement, from, to string) {
	if ms == nil {
		return
	}
	for _, m := range ms {
		if m.Name == lp.Code+".CountUsedMax" && m.Date >= from && m.Date <= to && (lp.Measured == nil || m.Value > lp.Measured.Value) {
			lp.Measured = &DayValue{Day: m.Date, Value: m.Value}
		}
	}
	if lp.Measured == nil {
		lp.Missing = append(lp.Missing, "your measurement has no peak of this license in the period")
	}
}

// derive works out overuse, dormant entitlement, the projection and the
// status from the series.
func (lp *LicensePosition) derive() {
	for _, s := range lp.Series {
		if s.Installed == nil || s.Peak <= *s.Installed {
			continue
		}
		x := s.Peak - *s.Installed
		o := &lp.Overuse
		o.Days++
		o.IDs = append(o.IDs, s.ID)
		if o.First == "" {
			o.First = s.Day
		}
		o.Last = s.Day
		if x > o.Highest {
			o.Highest, o.HighestDay = x, s.Day
		}
	}
	if lp.Installed != nil && lp.Peak != nil {
		d := max(0, lp.Installed.Value-lp.Peak.Value)
		lp.Dormant = &d
		if lp.Installed.Value > 0 {
			pct := math.Round(1000*d/lp.Installed.Value) / 10
			lp.DormantPercent = &pct
		}
	}
	lp.Projection = project(lp.Series, lp.Installed)
	switch {
	case lp.Peak == nil || lp.Installed == nil:
		lp.Status = StatusUnknown
	case lp.Overuse.Days > 0:
		lp.Status = StatusOver
	case lp.Peak.Value >= 0.9*lp.Installed.Value:
		lp.Status = StatusNear
	case lp.DormantPercent != nil && *lp.DormantPercent >= 50:
		lp.Status = StatusDormant
	default:
		lp.Status = StatusOK
	}
}

// project fits a line through the daily peaks and says when it would
// reach installed.
func project(series []SeriesDay, installed *DayValue) Projection {
	if len(series) < 3 || installed == nil {
		return Projection{Text: "projection: too few days or installed unknown"}
	}
	t0, _ := time.Parse(time.DateOnly, series[0].Day)
	var n, sx, sy, sxx, sxy float64
	var xs []float64
	for _, s := range series {
		t, _ := time.Parse(time.DateOnly, s.Day)
		x := t.Sub(t0).Hours() / 24
		xs = append(xs, x)
		n, sx, sy, sxx, sxy = n+1, sx+x, sy+s.Peak, sxx+x*x, sxy+x*s.Peak
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return Projection{Text: "projection: too few days"}
	}
	slope := (n*sxy - sx*sy) / den
	icept := (sy - slope*sx) / n
	p := Projection{PerDay: math.Round(slope*100) / 100}
	lastX := xs[len(xs)-1]
	now := icept + slope*lastX
	switch {
	case now >= installed.Value:
		p.Text = fmt.Sprintf("projection (a straight line through the daily peaks): already at or above installed, %+.1f a day", slope)
	case slope <= 0:
		p.Text = fmt.Sprintf("projection (a straight line through the daily peaks): %+.1f a day, not rising: it does not reach installed", slope)
	case (installed.Value-icept)/slope-lastX > 3650:
		p.Text = fmt.Sprintf("projection (a straight line through the daily peaks): %+.2f a day, does not reach installed within ten years", slope)
	default:
		days := math.Ceil((installed.Value - icept) / slope)
		p.Crosses = t0.AddDate(0, 0, int(days)).Format(time.DateOnly)
		p.Text = fmt.Sprintf("projection (a straight line through the daily peaks, not a forecast): %+.1f a day, reaches installed %v around %s", slope, installed.Value, p.Crosses)
	}
	return p
}

// isCode reports a feature code's shape: PRODUCT_EDITION_MODEL, letters
// and digits.
func isCode(s string) bool {
	f := strings.Split(s, "_")
	if len(f) != 3 {
		return false
	}
	for _, p := range f {
		if p == "" || fold(p) != strings.ToLower(p) {
			return false
		}
	}
	return true
}

// countedDays are the usage upload's counts, by license and usage day
// (the latest upload of a day counts).
type countedDays map[string]map[string]*Counted

func countedByLicense(pts []Point) countedDays {
	out := countedDays{}
	for _, p := range pts {
		subj, metric := subjectOf(p.Name)
		v, ok := p.Number()
		if !ok || subj == "" || metric != MetricUsageUsers && metric != MetricUsageDevices {
			continue
		}
		days := out[subj]
		if days == nil {
			days = map[string]*Counted{}
			out[subj] = days
		}
		c := days[p.Date()]
		if c == nil || len(c.IDs) > 0 && c.IDs[0] != p.ID && cmpNumeric(p.ID, c.IDs[0]) > 0 {
			c = &Counted{Day: p.Date(), IDs: []string{p.ID}}
			days[p.Date()] = c
		}
		if c.IDs[0] != p.ID {
			continue // an older upload of the same day
		}
		if metric == MetricUsageUsers {
			c.Users = v
		} else {
			c.Devices = v
		}
	}
	return out
}

// peak is the day of most distinct users (then devices) in the period.
func (cd countedDays) peak(code, from, to string) *Counted {
	var best *Counted
	for d, c := range cd[code] {
		if d < from || d > to {
			continue
		}
		if best == nil || c.Users > best.Users || c.Users == best.Users && (c.Devices > best.Devices || c.Devices == best.Devices && d < best.Day) {
			best = c
		}
	}
	return best
}

// cmpNumeric compares capture ids as numbers.
func cmpNumeric(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// number gives every capture the position names its number.
func (lp *LicensePosition) number(n *Numbers) {
	if n == nil {
		return
	}
	of := func(ids []string) []int {
		var out []int
		for _, id := range ids {
			k := n.Number(id)
			if k == 0 {
				return nil // not numbered (yet): worded by id
			}
			out = append(out, k)
		}
		return out
	}
	for _, v := range []*DayValue{lp.Installed, lp.ReportedInstalled, lp.Peak, lp.Today, lp.Measured} {
		if v != nil {
			v.Numbers = of(v.IDs)
		}
	}
	for i := range lp.InstalledChanges {
		lp.InstalledChanges[i].Numbers = of(lp.InstalledChanges[i].IDs)
	}
	lp.Overuse.Numbers = of(lp.Overuse.IDs)
	if lp.Counted != nil {
		c := *lp.Counted // shared between licenses' days: copy before numbering
		c.Numbers = of(c.IDs)
		lp.Counted = &c
	}
}
