package report

import (
	"encoding/json"
	"html/template"
	"slices"
	"strconv"
	"time"

	"github.com/telltale/telltale/analysis"
)

// Series is one figure, day by day: the last value reported for each
// day (the UTC date of the time the payload reports), as reconcile
// counts it.
type Series struct {
	Name, Unit string
	Days       []Day
	// Chart is an inline SVG of the numeric values; "" for a text
	// figure (a version) or a single day.
	Chart template.HTML
	// Text is true for a figure that is not a number (a version, a
	// host name): Days then holds only the days its value changed.
	Text bool
}

// Day is one day's value of a figure.
type Day struct {
	Date   string
	Value  string
	Change string // from the previous day shown: "+3", "-1", "=", "changed"
	ID     string // the capture that reported it
	num    float64
	isNum  bool
}

// series groups the points (sorted by time) by figure, one value a day.
func series(pts []analysis.Point) []Series {
	var order []string
	byName := map[string]*Series{}
	for _, p := range pts {
		s := byName[p.Name]
		if s == nil {
			s = &Series{Name: p.Name, Unit: p.Unit}
			byName[p.Name] = s
			order = append(order, p.Name)
		}
		d := Day{Date: p.Date(), Value: formatValue(p.Value), ID: p.ID}
		d.num, d.isNum = p.Number()
		if n := len(s.Days); n > 0 && s.Days[n-1].Date == d.Date {
			s.Days[n-1] = d // a later report of the same day counts
		} else {
			s.Days = append(s.Days, d)
		}
	}
	slices.Sort(order)
	out := make([]Series, 0, len(order))
	for _, name := range order {
		s := byName[name]
		changes(s.Days)
		s.Chart = chart(s.Days)
		s.Text = !slices.ContainsFunc(s.Days, func(d Day) bool { return d.isNum })
		if s.Text {
			s.Days = slices.DeleteFunc(s.Days, func(d Day) bool { return d.Change == "=" })
		}
		out = append(out, *s)
	}
	return out
}

func changes(days []Day) {
	for i := 1; i < len(days); i++ {
		a, b := days[i-1], days[i]
		switch {
		case a.isNum && b.isNum && b.num == a.num, !a.isNum && !b.isNum && a.Value == b.Value:
			days[i].Change = "="
		case a.isNum && b.isNum && b.num > a.num:
			days[i].Change = "+" + formatNumber(b.num-a.num)
		case a.isNum && b.isNum:
			days[i].Change = formatNumber(b.num - a.num)
		default:
			days[i].Change = "changed"
		}
	}
}

// formatValue writes a value as it was sent: numbers as numbers, texts
// as they are.
func formatValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return formatNumber(x)
	case json.Number:
		return x.String()
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// dayOf parses a Day's date; ok is false for one that is not a date.
func dayOf(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}
