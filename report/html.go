package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

//go:embed page.html
var pageText string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"time": showTime,
	"minute": func(s string) string {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC().Format("2006-01-02 15:04")
		}
		return s
	},
	"bytes": byteSize,
	"opt":   optional,
	"diff":  difference,
	"kind":  func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
}).Parse(pageText))

// WriteHTML writes the page: one HTML file with its CSS inline, charts
// as inline SVG, and no script.
func (r *Report) WriteHTML(w io.Writer) error {
	if err := page.Execute(w, r); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// byteSize is n in B, KiB, MiB or GiB, with the exact count for small ones.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}

func optional(v *float64) string {
	if v == nil {
		return "–"
	}
	return formatNumber(*v)
}

func difference(v float64) string {
	switch {
	case v > 0:
		return "+" + formatNumber(v)
	case v == 0:
		return ""
	}
	return formatNumber(v)
}
