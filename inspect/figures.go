package inspect

import (
	"math"
	"path"
	"strconv"
	"strings"
)

// Figure is a license figure a transmission reports: a number whose
// member name looks like a count.
type Figure struct {
	Path string `json:"path"`
	// Name is the nearest enclosing id and the member names below it,
	// e.g. "CAG_AAC_CCU.CountUsedMax"; without an id, the member names
	// from the document root.
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// FigureRules say which numbers are figures. All patterns are
// case-insensitive path.Match globs over a member's own name (an XML
// attribute's without its "@").
type FigureRules struct {
	// Names a member must match to be a figure.
	Names []string
	// Exclude rules a matching name out again: timestamps, ids, versions.
	Exclude []string
	// IDKeys name the members that identify an object, first match wins;
	// the nearest object with one names the figures inside it.
	IDKeys []string
}

// DefaultFigureRules are the rules Figures uses unless Options.Figures
// sets a list. They follow the data elements Citrix documents for the
// compliance and usage uploads (CountUsedMax, users and devices released,
// TotalFiles).
var DefaultFigureRules = FigureRules{
	Names: []string{"count*", "*count", "*counts", "*max", "*peak", "*users", "*devices",
		"*released", "num*", "total*", "*inuse"},
	Exclude: []string{"*date*", "*time*", "*utc*", "*ts", "*epoch*", "*id", "*guid",
		"*hash*", "*version*", "*days", "*code"},
	// GUID is left out: at a document's root it names the license
	// server, not an item, and would prefix every root-level figure.
	IDKeys: []string{"id", "Id", "ID", "featureId", "FeatureId", "FeatureID", "SN", "name", "Name"},
}

func (r FigureRules) withDefaults() FigureRules {
	if r.Names == nil {
		r.Names = DefaultFigureRules.Names
	}
	if r.Exclude == nil {
		r.Exclude = DefaultFigureRules.Exclude
	}
	if r.IDKeys == nil {
		r.IDKeys = DefaultFigureRules.IDKeys
	}
	return r
}

func (r FigureRules) matches(name string) bool {
	name = strings.ToLower(name)
	return anyGlob(r.Names, name) && !anyGlob(r.Exclude, name)
}

func anyGlob(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(strings.ToLower(g), name); ok {
			return true
		}
	}
	return false
}

// Figures extracts the license figures p reports, in document order, by
// the rules of the Options p was decoded with.
func Figures(p *Part) []Figure {
	rules := DefaultFigureRules
	if p.opts != nil {
		rules = p.opts.Figures.withDefaults()
	}
	c := &collector{idKeys: rules.IDKeys}
	c.part(p, loc{})
	var out []Figure
	for _, r := range c.recs {
		if r.num == "" || r.key == "" || !rules.matches(r.key) {
			continue
		}
		v, err := strconv.ParseFloat(r.num, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			continue
		}
		out = append(out, Figure{Path: r.Path, Name: r.name, Value: v})
	}
	return out
}
