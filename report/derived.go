package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html"
	"regexp"

	"github.com/telltale/telltale/analysis"
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
	// Position is the license position (analysis.Position as JSON,
	// without the captures' numbers, which name them in the whole log,
	// not the bundle); Reconciliation is the measurement against the
	// figures, every row, when the report has one. Bundles made before
	// they were here have neither.
	Position       any                      `json:"position,omitempty"`
	Reconciliation *analysis.Reconciliation `json:"reconciliation,omitempty"`
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
		Personal: DerivedPersonal{Counts: r.Personal.Counts, Fields: fields, Unreadable: r.Personal.Unreadable},
		Position: positionJSON(r.Position), Reconciliation: r.Reconciliation}, nil
}

// positionJSON is p as JSON decodes it into any, without "numbers" (the
// log's numbering of captures, which a bundle cannot show), and without
// its period when no usage day was reported (then it ends today).
func positionJSON(p analysis.Position) any {
	if p.Latest == "" {
		p.From, p.To = "", ""
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	var strip func(any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "numbers")
			for _, e := range x {
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	return v
}

// BasisFormat is the format of a bundle's licenses.json.
const BasisFormat = "telltale-licenses/v1"

// Basis is what a report's position and reconciliation were worked out
// from besides its figures: the licenses section as used (its catalog
// parts and the entitlements, the config's with those entered in the
// review UI), and how the measurement was read. A bundle carries it as
// licenses.json, so that `telltale verify` works them out again.
type Basis struct {
	Format       string                 `json:"format"` // BasisFormat
	Products     []analysis.LicensePart `json:"products"`
	Editions     []analysis.LicensePart `json:"editions"`
	Models       []analysis.LicensePart `json:"models"`
	Entitlements []analysis.Entitlement `json:"entitlements"`
	// Measured is how measured.csv was read; nil when the report has no
	// measurement.
	Measured *BasisMeasured `json:"measured,omitempty"`
}

// BasisMeasured is how a measurement file was read and compared.
type BasisMeasured struct {
	File string   `json:"file"` // in the bundle: measured.csv
	Map  []string `json:"map"`  // export --map, as given; none: recognised from its header
	// Known are the license codes the log's figures named when it was
	// read: a Historical Use export's names are matched against them.
	Known     []string           `json:"known"`
	Tolerance analysis.Tolerance `json:"tolerance"`
}

// Options are the report options b gives, the measurement read from
// measured (the bytes of Measured.File).
func (b Basis) Options(measured []byte) (Options, error) {
	o := Options{Catalog: analysis.NewCatalog(b.Products, b.Editions, b.Models), Entitlements: b.Entitlements}
	if b.Measured == nil {
		return o, nil
	}
	var mp analysis.Mapping
	if len(b.Measured.Map) > 0 {
		var err error
		if mp, err = analysis.ParseMapping(b.Measured.Map); err != nil {
			return o, err
		}
	}
	m, _, err := analysis.ReadMeasurements(bytes.NewReader(measured), mp, o.Catalog, b.Measured.Known)
	if err != nil {
		return o, err
	}
	o.Measured, o.Tolerance = m, b.Measured.Tolerance
	return o, nil
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
