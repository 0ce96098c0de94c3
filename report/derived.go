package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html"
	"regexp"
)

// DerivedFormat is the format of the page's derived block.
const DerivedFormat = "telltale-derived/v1"

// Derived is the report's numbers in a form a program reads: the page
// carries it as JSON in <pre hidden id="telltale-derived">, so that
// `telltale verify` can make them again from a bundle's proven captures
// and compare.
type Derived struct {
	Format   string `json:"format"` // DerivedFormat
	Captures int    `json:"captures"`
	// Figures counts figures.csv's rows, FiguresSHA256 is its SHA-256
	// (hex): the page's figure tables and charts show the same points.
	Figures       int             `json:"figures"`
	FiguresSHA256 string          `json:"figures_sha256"`
	Personal      DerivedPersonal `json:"personal"`
}

// DerivedPersonal is the personal-data section's numbers.
type DerivedPersonal struct {
	Counts     any             `json:"counts"` // analysis.IdentityCounts
	Fields     []PersonalField `json:"fields"`
	Unreadable int             `json:"unreadable"`
}

// Derived is r's derived block.
func (r *Report) Derived() (Derived, error) {
	var b bytes.Buffer
	if err := r.WriteFiguresCSV(&b); err != nil {
		return Derived{}, err
	}
	sum := sha256.Sum256(b.Bytes())
	fields := r.Personal.Fields
	if fields == nil {
		fields = []PersonalField{}
	}
	return Derived{Format: DerivedFormat, Captures: r.Captures, Figures: len(r.Points), FiguresSHA256: hex.EncodeToString(sum[:]),
		Personal: DerivedPersonal{Counts: r.Personal.Counts, Fields: fields, Unreadable: r.Personal.Unreadable}}, nil
}

// DerivedJSON is the page's derived block, JSON.
func (r *Report) DerivedJSON() (string, error) {
	d, err := r.Derived()
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(d)
	return string(b), err
}

var derivedBlock = regexp.MustCompile(`(?s)<pre hidden id="telltale-derived">(.*?)</pre>`)

// ParseDerived reads the derived block of a page, as JSON: nil when the
// page has none (an older Telltale).
func ParseDerived(page []byte) (json.RawMessage, error) {
	m := derivedBlock.FindSubmatch(page)
	if m == nil {
		return nil, nil
	}
	raw := json.RawMessage(html.UnescapeString(string(m[1])))
	if !json.Valid(raw) {
		return nil, errors.New("report: the derived block is not JSON")
	}
	return raw, nil
}
