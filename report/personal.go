package report

import (
	"encoding/csv"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/inspect"
	"github.com/telltale/telltale/store"
)

// Personal is what the requests carried that identifies people or
// machines: per category, how many distinct values were sent, and in
// which fields.
type Personal struct {
	Categories []Category
	Fields     []PersonalField
	// Unreadable counts the exchanges whose request could not be decoded
	// (pruned, or no analysis for them); Note says why for the first.
	Unreadable int
	Note       string
}

// Category sums one kind of personal data over every field.
type Category struct {
	Name     string
	Distinct int // distinct values; texts are counted by occurrence in Mentions
	Mentions int // occurrences inside free texts
	Fields   int
}

// PersonalField is one field that carried personal data.
type PersonalField struct {
	Category, Endpoint, Path string
	Captures                 int
	Distinct                 int
	Mentions                 int
}

type fieldKey struct{ category, endpoint, path string }

type fieldTally struct {
	captures int
	values   map[string]bool
	mentions int
}

// personal decodes every exchange's request among caps and counts the
// personal data in it.
func (r *Report) personal(src Source, caps []store.Capture) error {
	tallies := map[fieldKey]*fieldTally{}
	for _, c := range caps {
		if c.Kind != store.CaptureExchange || !c.Complete {
			continue
		}
		d, err := src.Decoded(c.ID)
		if errors.Is(err, analysis.ErrNotExchange) || errors.Is(err, store.ErrNotFound) {
			r.Personal.unreadable(c.ID, err)
			continue
		}
		if err != nil {
			return fmt.Errorf("report: personal data of capture %s: %w", c.ID, err)
		}
		if d.Request == nil || d.Request.Tree == nil {
			if d.Request != nil && d.Request.Size > 0 {
				r.Personal.unreadable(c.ID, errors.New(orText(d.Request.Note, "no decoded body")))
			}
			continue
		}
		tally(tallies, d.Endpoint, d.Request)
	}
	r.Personal.sum(tallies)
	return nil
}

func (p *Personal) unreadable(id string, err error) {
	if p.Unreadable == 0 {
		p.Note = fmt.Sprintf("capture %s: %v", id, err)
	}
	p.Unreadable++
}

// tally adds one request's personal fields, by shape path, with their
// values.
func tally(tallies map[fieldKey]*fieldTally, endpoint string, b *analysis.DecodedBody) {
	seen := map[fieldKey]bool{}
	for _, pf := range b.Personal {
		k := fieldKey{pf.Category, endpoint, shapePath(pf.Path)}
		t := tallies[k]
		if t == nil {
			t = &fieldTally{values: map[string]bool{}}
			tallies[k] = t
		}
		if !seen[k] {
			seen[k] = true
			t.captures++
		}
		if pf.Count > 0 {
			t.mentions += pf.Count
			continue
		}
		for _, v := range valuesAt(b.Fields, pf) {
			t.values[v] = true
		}
	}
}

// valuesAt are the values of a personal field: the scalars at its path,
// or under it for a list or an object (a list of device names), or the
// cells of its column for a CSV text.
func valuesAt(fields []analysis.DecodedField, pf analysis.PersonalField) []string {
	var out []string
	for _, f := range fields {
		path := pf.Path
		under := f.Path == path || strings.HasPrefix(f.Path, path+"[") || strings.HasPrefix(f.Path, path+".")
		switch {
		case !under || f.Value == nil || f.Type == inspect.TypeBytes:
		case f.Type == "text":
			text, _ := f.Value.(string)
			out = append(out, csvColumn(text, pf.Why)...)
		default:
			out = append(out, formatValue(f.Value))
		}
	}
	return out
}

// csvColumn is the non-empty cells of the column that why names
// ("CSV column User", as analysis words a CSV column it flags), or nil.
func csvColumn(text, why string) []string {
	name, ok := strings.CutPrefix(why, "CSV column ")
	if !ok {
		return nil
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	col := slices.Index(head, name)
	if err != nil || col < 0 {
		return nil
	}
	var out []string
	for {
		rec, err := cr.Read()
		if err != nil {
			return out
		}
		if col < len(rec) && rec[col] != "" {
			out = append(out, rec[col])
		}
	}
}

var (
	index  = regexp.MustCompile(`\[\d+\]`)
	serial = regexp.MustCompile(`\d{5,}`)
)

// shapePath names a field in every capture: indexes become "[]", and
// long numbers (the time stamps in the names of uploaded files) "#".
func shapePath(p string) string {
	return serial.ReplaceAllString(index.ReplaceAllString(p, "[]"), "#")
}

// sum turns the tallies into rows: fields by category and endpoint, and
// per category the distinct values over all its fields.
func (p *Personal) sum(tallies map[fieldKey]*fieldTally) {
	cats := map[string]*Category{}
	values := map[string]map[string]bool{}
	for k, t := range tallies {
		p.Fields = append(p.Fields, PersonalField{Category: k.category, Endpoint: k.endpoint, Path: k.path,
			Captures: t.captures, Distinct: len(t.values), Mentions: t.mentions})
		c := cats[k.category]
		if c == nil {
			c = &Category{Name: k.category}
			cats[k.category], values[k.category] = c, map[string]bool{}
		}
		c.Fields++
		c.Mentions += t.mentions
		for v := range t.values {
			values[k.category][v] = true
		}
	}
	for name, c := range cats {
		c.Distinct = len(values[name])
		p.Categories = append(p.Categories, *c)
	}
	slices.SortFunc(p.Categories, func(a, b Category) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(p.Fields, func(a, b PersonalField) int {
		return strings.Compare(a.Category+"\x00"+a.Endpoint+"\x00"+a.Path, b.Category+"\x00"+b.Endpoint+"\x00"+b.Path)
	})
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
