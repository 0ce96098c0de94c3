package analysis

import (
	"slices"
	"strings"
)

// installedSeries is each license's installed count over time, as the
// License Server reported it (CODE.Installed: the activation renewals,
// and Call Home where it carries license data), by usage day.
type installedSeries map[string][]Point

func newInstalledSeries(pts []Point) installedSeries {
	in := installedSeries{}
	for _, p := range pts {
		subj, metric := subjectOf(p.Name)
		if _, ok := p.Number(); ok && metric == "Installed" && subj != "" {
			in[subj] = append(in[subj], p)
		}
	}
	for _, s := range in {
		slices.SortStableFunc(s, func(a, b Point) int {
			if c := strings.Compare(a.Date(), b.Date()); c != 0 {
				return c
			}
			return strings.Compare(a.Time, b.Time)
		})
	}
	return in
}

// on is the installed count of a license on a day: the last report on or
// before it; before the first report, the first (a renewal states what
// is installed, which was so before it was sent too).
func (in installedSeries) on(code, day string) (float64, Point, bool) {
	s := in[code]
	if len(s) == 0 {
		return 0, Point{}, false
	}
	i, _ := slices.BinarySearchFunc(s, day, func(p Point, d string) int {
		if p.Date() <= d {
			return -1
		}
		return 1
	})
	p := s[0]
	if i > 0 {
		p = s[i-1]
	}
	v, _ := p.Number()
	return v, p, true
}

// changes lists the days the installed count of a license changed, with
// the report that changed it (the first report too).
func (in installedSeries) changes(code string) []Point {
	var out []Point
	for _, p := range in[code] {
		if len(out) == 0 || valueText(out[len(out)-1].Value) != valueText(p.Value) {
			out = append(out, p)
		}
	}
	return out
}
