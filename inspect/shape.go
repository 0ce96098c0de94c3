package inspect

import (
	"slices"
	"strings"
)

// Drift kinds.
const (
	DriftNewField     = "new_field"
	DriftTypeChanged  = "type_changed"
	DriftRemovedField = "removed_field"
)

// DriftEvent is one way a tree's shape differs from a baseline shape.
type DriftEvent struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
}

// Shape maps each shape path of p to its field type. Shape paths write
// array indexes as "[]" and runs of five or more digits in archive entry
// names as "#", so that they stay the same from one transmission to the
// next. A path seen with several types maps to them sorted and joined by
// "|", e.g. "number|string".
func Shape(p *Part) map[string]string {
	c := &collector{}
	c.part(p, loc{})
	shape := map[string]string{}
	for _, r := range c.recs {
		shape[r.shape] = unionTypes(shape[r.shape], r.Type)
	}
	return shape
}

// Drift compares a shape with a baseline: paths the baseline lacks are
// new_field, paths whose types the baseline has not seen are type_changed,
// and baseline paths missing from next are removed_field. Events are sorted
// by path.
func Drift(baseline, next map[string]string) []DriftEvent {
	var out []DriftEvent
	for path, t := range next {
		old, ok := baseline[path]
		switch {
		case !ok:
			out = append(out, DriftEvent{Path: path, Kind: DriftNewField, New: t})
		case unionTypes(old, t) != old:
			out = append(out, DriftEvent{Path: path, Kind: DriftTypeChanged, Old: old, New: t})
		}
	}
	for path, t := range baseline {
		if _, ok := next[path]; !ok {
			out = append(out, DriftEvent{Path: path, Kind: DriftRemovedField, Old: t})
		}
	}
	slices.SortFunc(out, func(a, b DriftEvent) int { return comparePaths(a.Path, b.Path) })
	return out
}

// Merge returns a new baseline holding every path of both shapes, each with
// the union of its types, so a type seen once is not drift again.
func Merge(baseline, next map[string]string) map[string]string {
	out := make(map[string]string, len(baseline)+len(next))
	for path, t := range baseline {
		out[path] = t
	}
	for path, t := range next {
		out[path] = unionTypes(out[path], t)
	}
	return out
}

// unionTypes joins two "|"-separated type sets, sorted.
func unionTypes(a, b string) string {
	var set []string
	for _, t := range strings.Split(a+"|"+b, "|") {
		if t != "" && !slices.Contains(set, t) {
			set = append(set, t)
		}
	}
	slices.Sort(set)
	return strings.Join(set, "|")
}
