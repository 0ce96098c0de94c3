package analysis

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Formats of a measurement file (ReadMeasurements).
const (
	FormatPlain      = "plain"          // date, figure name, value
	FormatHistorical = "historical_use" // the Licensing Manager's Historical Use export
	FormatMapped     = "mapped"         // another layout, through a Mapping
)

// The Licensing Manager's Historical Use export: Citrix documents a CSV of
// daily usage per product and edition and license model, with the number
// of licenses in overdraft (docs.citrix.com, licensing, "Dashboard and
// Historical Use"), but not its column names. Telltale recognises a
// header with a date, a product (or "Product & Edition"), an optional
// edition, a model and an in-use column, with an optional overdraft, in
// the spellings below; a file that differs needs --map. Assumed: "In
// Use" counts every license in use, overdraft included, and "Overdraft"
// the part of it above the installed count.
var historicalNames = map[string][]string{
	"date":      {"date", "day", "usagedate"},
	"product":   {"product", "productedition", "productandedition", "productname"},
	"edition":   {"edition"},
	"model":     {"model", "licensemodel", "licensetype", "type"},
	"inuse":     {"inuse", "licensesinuse", "peakinuse", "peak", "used", "peakusage"},
	"overdraft": {"overdraft", "licensesinoverdraft", "inoverdraft", "overdraftinuse"},
}

type historicalColumns struct {
	date, product, edition, model, inUse, overdraft int
}

// historicalHeader finds the export's columns in a header line.
func historicalHeader(header []string) (historicalColumns, bool) {
	find := func(key string) int { return column(header, historicalNames[key]) }
	c := historicalColumns{find("date"), find("product"), find("edition"), find("model"), find("inuse"), find("overdraft")}
	return c, c.date >= 0 && c.product >= 0 && c.model >= 0 && c.inUse >= 0
}

// IsHistoricalUse reports whether a CSV's first line is the header of
// the Licensing Manager's Historical Use export.
func IsHistoricalUse(head []byte) bool {
	rec, ok := firstRecord(head)
	if ok {
		_, ok = historicalHeader(rec)
	}
	return ok
}

// ParseHistoricalUse reads the Licensing Manager's Historical Use export:
// each row gives two measurements of its license, CODE.CountUsedMax (In
// Use) and CODE.Overdraft (when the export has the column), compared
// apart. The license is found from the row's names through the catalog,
// among the codes the License Server reported (known); a row that names
// no known license keeps its own words as the name (Measurement.License
// says so), and Reconcile reports it as unmatched. Rows of the same
// license and day are added up (a license's pools by Customer Success
// Services date).
func ParseHistoricalUse(r io.Reader, cat *Catalog, known []string) ([]Measurement, error) {
	cr, header, err := headed(r)
	if err != nil {
		return nil, err
	}
	cols, ok := historicalHeader(header)
	if !ok {
		return nil, &LineError{Line: 1, Msg: "not a Historical Use export: want Date, Product, Model and In Use columns"}
	}
	var sums dailySums
	err = eachRecord(cr, func(rec []string, line int) error {
		if blank(rec) {
			return nil
		}
		ms, err := cols.row(rec, line, cat, known)
		for _, m := range ms {
			sums.add(m)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := sums.out
	if len(out) == 0 {
		return nil, errf("no measurements below the header")
	}
	return out, nil
}

func (c historicalColumns) row(rec []string, line int, cat *Catalog, known []string) ([]Measurement, error) {
	cell := func(i int) string {
		if i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	d, err := parseAnyDate(cell(c.date))
	if err != nil {
		return nil, &LineError{Line: line, Msg: fmt.Sprintf("date %q: want YYYY-MM-DD, M/D/YYYY or an RFC 3339 time", cell(c.date))}
	}
	words := strings.Join(nonEmpty(cell(c.product), cell(c.edition)), " ") + ", " + cell(c.model)
	subject, ok := cat.Resolve(cell(c.product), cell(c.edition), cell(c.model), known)
	if !ok {
		subject = words
	}
	number := func(i int) (float64, bool, error) {
		s := strings.ReplaceAll(cell(i), ",", "")
		if s == "" {
			return 0, false, nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false, &LineError{Line: line, Msg: fmt.Sprintf("value %q: want a number", cell(i))}
		}
		return v, true, nil
	}
	var out []Measurement
	if v, ok, err := number(c.inUse); err != nil {
		return nil, err
	} else if ok {
		out = append(out, Measurement{Date: d, Name: subject + ".CountUsedMax", Value: v, Line: line, License: words})
	}
	if c.overdraft >= 0 {
		v, ok, err := number(c.overdraft)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, Measurement{Date: d, Name: subject + ".Overdraft", Value: v, Line: line, License: words})
		}
	}
	return out, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ReadMeasurements reads a measurement file in whichever format it is:
// through m when it maps columns, else the Historical Use export when
// its header says so, else an administrator's usage script's CSV
// (date-time, license, count, usage; its daily peak per license) when
// its header says so, else date, figure name, value. A plain file may
// name licenses by code or by name ("Citrix Virtual Apps and Desktops
// Premium User/Device.CountUsedMax"); a name alone means its peak in use.
// known are the license codes reported (KnownLicenses). It returns the
// format it read.
func ReadMeasurements(r io.Reader, m Mapping, cat *Catalog, known []string) ([]Measurement, string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, "", err
	}
	var ms []Measurement
	format := FormatPlain
	switch {
	case !m.IsZero():
		format = FormatMapped
		ms, err = ParseMapped(bytes.NewReader(b), m)
	case IsHistoricalUse(b):
		return historicalOf(b, cat, known)
	case IsUsageScript(b):
		rs, err := ParseUsageScript(bytes.NewReader(b))
		if err != nil {
			return nil, FormatUsageScript, err
		}
		ms = DailyPeaks(rs)
		format = FormatUsageScript
	default:
		ms, err = ParseMeasurements(bytes.NewReader(b))
	}
	if err != nil {
		return nil, format, err
	}
	for i := range ms {
		ms[i].Name = canonicalName(ms[i].Name, cat, known)
	}
	return ms, format, nil
}

func historicalOf(b []byte, cat *Catalog, known []string) ([]Measurement, string, error) {
	ms, err := ParseHistoricalUse(bytes.NewReader(b), cat, known)
	return ms, FormatHistorical, err
}

// canonicalName turns a license named in words into its code: "Citrix
// Virtual Apps and Desktops Premium User/Device" is XDT_PLT_UD.CountUsedMax.
func canonicalName(name string, cat *Catalog, known []string) string {
	subj, metric, hasMetric := strings.Cut(name, ".")
	if !hasMetric {
		if code, ok := cat.Lookup(name, known); ok {
			return code + ".CountUsedMax"
		}
		return name
	}
	if code, ok := cat.Lookup(subj, known); ok {
		return code + "." + metric
	}
	return name
}

// KnownLicenses are the license codes the points report (figures named
// CODE.CountUsedMax or CODE.Installed), sorted.
func KnownLicenses(pts []Point) []string {
	seen := map[string]bool{}
	for _, p := range pts {
		subj, metric := subjectOf(p.Name)
		if subj != "" && (metric == "CountUsedMax" || metric == "Installed") {
			seen[subj] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
