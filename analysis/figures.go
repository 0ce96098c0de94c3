package analysis

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/telltale/telltale/inspect"
)

// Point is one figure one capture reported.
type Point struct {
	ID string `json:"id"` // the capture
	// Time is when the figure is for: the time the transmission reports
	// (Rule.Time), else when it was captured. TimeFormat.
	Time string `json:"time"`
	// Day is the usage day the figure describes, YYYY-MM-DD: a compliance
	// upload sent on 2 June reports the usage of 1 June. The endpoint's
	// Rule.UsageDay says how it is found; "" (points derived before usage
	// days existed) falls back to the UTC date of Time.
	Day      string `json:"day,omitempty"`
	Captured string `json:"captured"`
	Endpoint string `json:"endpoint"`
	Name     string `json:"name"`
	// Value is a number (float64) or, for a figure such as a version, a
	// string.
	Value any    `json:"value"`
	Unit  string `json:"unit,omitempty"`
	Path  string `json:"path"`
	// Label says what the number is ("in use"; Extractor.Label).
	Label string `json:"label,omitempty"`
}

// Number returns the point's value as a number.
func (p Point) Number() (float64, bool) {
	switch v := p.Value.(type) {
	case float64:
		return v, true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// Date is the usage day the point describes (Day), else the UTC date of
// its time, YYYY-MM-DD. Reconcile, the position and the report's
// series all go by it.
func (p Point) Date() string {
	if p.Day != "" {
		return p.Day
	}
	t, err := time.Parse(time.RFC3339Nano, p.Time)
	if err != nil {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// fieldIndex maps a body's fields by path, with the number of elements
// of each array.
type fieldIndex struct {
	byPath map[string]inspect.Field
	elems  map[string]int
	order  []inspect.Field

	usageOnce sync.Once
	usageRows []UsageRow
}

// usage is UsageIn of the indexed fields, parsed once per body: the
// analyzer keeps the index of the last body for the next capture
// (lastBody), so a burst of identical usage uploads is parsed once.
func (ix *fieldIndex) usage() []UsageRow {
	ix.usageOnce.Do(func() { ix.usageRows = UsageIn(ix.order) })
	return ix.usageRows
}

var elemSuffix = regexp.MustCompile(`\[[0-9]+\]$`)

func indexFields(fields []inspect.Field) *fieldIndex {
	ix := &fieldIndex{byPath: make(map[string]inspect.Field, len(fields)), elems: map[string]int{}, order: fields}
	for _, f := range fields {
		ix.byPath[f.Path] = f
		if loc := elemSuffix.FindStringIndex(f.Path); loc != nil {
			ix.elems[f.Path[:loc[0]]]++
		}
	}
	return ix
}

// figures applies a rule's extractors to a body's fields.
func (r *compiledRule) extract(ix *fieldIndex) []Point {
	var out []Point
	for _, x := range r.figures {
		for _, f := range ix.order {
			if !x.pat.match(f.Path) {
				continue
			}
			var v any
			switch {
			case x.Count:
				if f.Type != inspect.KindArray {
					continue
				}
				v = float64(ix.elems[f.Path])
			case f.Type == inspect.KindNumber:
				n, ok := numberOf(f.Value)
				if !ok {
					continue
				}
				v = n
			case f.Type == inspect.KindString || f.Type == inspect.KindBool:
				v = scalarText(f.Value)
			default:
				continue
			}
			out = append(out, Point{Name: ix.name(x.Name, f.Path), Value: v, Unit: x.Unit, Path: f.Path, Label: x.Label})
		}
	}
	return out
}

func numberOf(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}

func scalarText(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var nameVar = regexp.MustCompile(`\{([^{}]+)\}`)

// name expands "{Key}" in a figure name with member Key of the nearest
// object around path that has one.
func (ix *fieldIndex) name(tmpl, path string) string {
	return nameVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		key := m[1 : len(m)-1]
		for anc, ok := parentPath(path); ok; anc, ok = parentPath(anc) {
			for _, p := range childPaths(anc, key) {
				if f, ok := ix.byPath[p]; ok && f.Value != nil {
					return scalarText(f.Value)
				}
			}
		}
		return m
	})
}

// reportedTime reads the time a transmission says it is for: the latest
// time at the paths the pattern matches.
func (ix *fieldIndex) reportedTime(pattern string) (time.Time, bool) {
	if pattern == "" {
		return time.Time{}, false
	}
	g := compileGlob(pattern)
	var latest time.Time
	for _, f := range ix.order {
		if g.match(f.Path) {
			if t, ok := parseTime(f.Value); ok && t.After(latest) {
				latest = t
			}
		}
	}
	return latest, !latest.IsZero()
}

// earliestTime is the earliest time at the paths the pattern matches.
func (ix *fieldIndex) earliestTime(pattern string) (time.Time, bool) {
	g := compileGlob(pattern)
	var first time.Time
	for _, f := range ix.order {
		if g.match(f.Path) {
			if t, ok := parseTime(f.Value); ok && (first.IsZero() || t.Before(first)) {
				first = t
			}
		}
	}
	return first, !first.IsZero()
}

// usageShift matches a Rule.UsageDay that shifts the reported day: "-1d".
var usageShift = regexp.MustCompile(`^([+-]?[0-9]{1,3})d$`)

// usageDay is the day a transmission's figures describe (Rule.UsageDay),
// given the time it reports (when, store.TimeFormat).
func (ix *fieldIndex) usageDay(spec, when string) string {
	t, err := time.Parse(time.RFC3339Nano, when)
	if err != nil {
		return ""
	}
	spec = strings.TrimSpace(spec)
	if m := usageShift.FindStringSubmatch(spec); m != nil {
		n, _ := strconv.Atoi(m[1])
		t = t.AddDate(0, 0, n)
	} else if spec != "" {
		if first, ok := ix.earliestTime(spec); ok {
			t = first
		}
	}
	return t.UTC().Format(time.DateOnly)
}

// CheckUsageDay reports a Rule.UsageDay that is neither a shift in days
// ("-1d") nor a path pattern.
func CheckUsageDay(spec string) error {
	spec = strings.TrimSpace(spec)
	if spec == "" || usageShift.MatchString(spec) || strings.HasPrefix(spec, "$") || strings.Contains(spec, ":$") {
		return nil
	}
	return errf("usage_day %q: want a shift of the reported day such as \"-1d\", or a path such as \"manifest.json:$.Files[].EventStart\"", spec)
}

// parseTime reads RFC 3339 (with or without a zone), or epoch seconds or
// milliseconds.
func parseTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", time.DateTime, time.DateOnly} {
			if t, err := time.Parse(layout, strings.TrimSpace(x)); err == nil {
				return t.UTC(), true
			}
		}
	case json.Number:
		n, err := x.Int64()
		if err != nil || n <= 0 {
			return time.Time{}, false
		}
		if n > 1e11 { // milliseconds
			return time.UnixMilli(n).UTC(), true
		}
		return time.Unix(n, 0).UTC(), true
	}
	return time.Time{}, false
}

// heuristicFigures are inspect's count-like numbers, for endpoints
// without extractors.
func heuristicFigures(p *inspect.Part) []Point {
	var out []Point
	for _, f := range inspect.Figures(p) {
		out = append(out, Point{Name: f.Name, Value: f.Value, Path: f.Path})
	}
	return out
}
