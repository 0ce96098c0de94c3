package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Chart geometry, in SVG user units (the page scales it to its width).
const (
	chartW, chartH           = 720, 180
	padLeft, padRight        = 64, 16
	padTop, padBottom        = 12, 30
	plotW, plotH             = chartW - padLeft - padRight, chartH - padTop - padBottom
	chartLine, chartGrid     = "#1f5fa8", "#d0d7de"
	chartText, chartFontSize = "#444", 12
)

// chart draws the numeric days of a figure as a line over a time axis
// (days without a report leave a gap in x, not in the line), or returns
// "" when there are fewer than two numeric days. Every text in it is
// escaped; it holds no script and no external reference.
func chart(days []Day) template.HTML {
	var pts []Day
	for _, d := range days {
		if _, ok := dayOf(d.Date); ok && d.isNum {
			pts = append(pts, d)
		}
	}
	if len(pts) < 2 {
		return ""
	}
	first, _ := dayOf(pts[0].Date)
	last, _ := dayOf(pts[len(pts)-1].Date)
	span := math.Max(last.Sub(first).Hours()/24, 1)
	lo, hi := yRange(pts)
	x := func(d Day) float64 {
		t, _ := dayOf(d.Date)
		return padLeft + plotW*(t.Sub(first).Hours()/24)/span
	}
	y := func(v float64) float64 { return padTop + plotH*(1-(v-lo)/(hi-lo)) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" class="chart">`, chartW, chartH)
	axes(&b, pts, lo, hi, x, y)
	var line []string
	for _, d := range pts {
		line = append(line, fmt.Sprintf("%.1f,%.1f", x(d), y(d.num)))
	}
	fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, chartLine, strings.Join(line, " "))
	for _, d := range pts {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s: %s</title></circle>`, x(d), y(d.num), chartLine,
			html.EscapeString(d.Date), html.EscapeString(d.Value))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built above from escaped text and numbers only
}

// axes draws three value lines with their labels, and the first and
// last day under the plot.
func axes(b *strings.Builder, pts []Day, lo, hi float64, x func(Day) float64, y func(float64) float64) {
	for i := 0; i <= 2; i++ {
		v := lo + (hi-lo)*float64(i)/2
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>`, padLeft, chartW-padRight, y(v), y(v), chartGrid)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" font-size="%d" fill="%s">%s</text>`, padLeft-6, y(v)+4, chartFontSize, chartText, html.EscapeString(axisNumber(v)))
	}
	for i, d := range []Day{pts[0], pts[len(pts)-1]} {
		anchor := "start"
		if i == 1 {
			anchor = "end"
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="%s" font-size="%d" fill="%s">%s</text>`, x(d), chartH-8, anchor, chartFontSize, chartText, html.EscapeString(d.Date))
	}
}

// yRange is the value axis: from 0 (or the lowest value, if below 0) to
// the highest, with room above; a flat line sits in the middle.
func yRange(pts []Day) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, d := range pts {
		lo, hi = math.Min(lo, d.num), math.Max(hi, d.num)
	}
	lo = math.Min(lo, 0)
	if hi <= lo {
		return lo - 1, lo + 1
	}
	return lo, lo + niceCeil(hi-lo)
}

// niceCeil is the smallest of 1, 2, 2.5, 5 times a power of ten that is
// at least v (v > 0), so that the axis labels are round.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// axisNumber labels the value axis: whole numbers as such, others to
// two decimals.
func axisNumber(v float64) string {
	if v == math.Trunc(v) {
		return formatNumber(v)
	}
	return fmt.Sprintf("%.2f", v)
}
