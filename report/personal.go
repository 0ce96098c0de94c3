package report

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/store"
)

// Personal is what the requests carried that identifies people or
// machines: the identities of the selection (analysis.IdentitiesIn)
// counted as every surface counts them (analysis.CountIdentities), and
// the fields they were in.
type Personal struct {
	Counts analysis.IdentityCounts
	// Categories are Counts.ByCategory in order, for the page.
	Categories []Category
	Fields     []PersonalField
	// Unreadable counts the exchanges whose request could not be decoded
	// (pruned, or no analysis for them); Note says why for the first.
	Unreadable int
	Note       string
}

// Category is one kind of identifier and how many distinct ones were
// sent.
type Category struct {
	Name     string
	Distinct int
}

// PersonalField is one field that carried personal data, and in how many
// captures.
type PersonalField struct {
	Category, Endpoint, Path string
	Captures                 int
}

type fieldKey struct{ category, endpoint, path string }

// personal counts the identities of caps and lists the fields that held
// them.
func (r *Report) personal(src Source, caps []store.Capture) error {
	tallies := map[fieldKey]int{}
	var found [][]analysis.Identity
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
		found = append(found, analysis.IdentitiesIn(d))
	}
	// The same identities, merged and counted, as the personal-data
	// page and `telltale personal` count them.
	r.Personal.Counts = analysis.CountIdentities(analysis.MergeIdentities(found...))
	r.Personal.sum(tallies)
	return nil
}

func (p *Personal) unreadable(id string, err error) {
	if p.Unreadable == 0 {
		p.Note = fmt.Sprintf("capture %s: %v", id, err)
	}
	p.Unreadable++
}

// tally adds one request's personal fields, by shape path.
func tally(tallies map[fieldKey]int, endpoint string, b *analysis.DecodedBody) {
	seen := map[fieldKey]bool{}
	for _, pf := range b.Personal {
		k := fieldKey{pf.Category, endpoint, shapePath(pf.Path)}
		if !seen[k] {
			seen[k] = true
			tallies[k]++
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

// sum turns the tallies and counts into rows.
func (p *Personal) sum(tallies map[fieldKey]int) {
	for k, n := range tallies {
		p.Fields = append(p.Fields, PersonalField{Category: k.category, Endpoint: k.endpoint, Path: k.path, Captures: n})
	}
	for name, n := range p.Counts.ByCategory {
		p.Categories = append(p.Categories, Category{Name: name, Distinct: n})
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
