package analysis

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Mapping reads a measurement CSV whose columns are not date, figure
// name, value: the Citrix Licensing Manager's Historical Use export (daily
// usage per product, edition and license model, with overdraft), or any
// spreadsheet. Columns are named by the header line, in any case.
type Mapping struct {
	// Date is the column of the day (YYYY-MM-DD, RFC 3339, or the US
	// M/D/YYYY the Licensing Manager writes).
	Date string `json:"date"`
	// Value is the column of the number, or columns joined by "+" that are
	// added ("In use+Overdraft").
	Value string `json:"value"`
	// Figure names the figure: a column holding figure names, a template
	// with {Column} ("{Product}_{Edition}_{Model}.CountUsedMax"), or, if
	// it is neither, the name itself.
	Figure string `json:"figure"`
}

// ParseMapping reads "date=COL", "value=COL", "figure=..." (the CLI's
// repeated --map flags).
func ParseMapping(specs []string) (Mapping, error) {
	var m Mapping
	for _, s := range specs {
		k, v, ok := strings.Cut(s, "=")
		v = strings.TrimSpace(v)
		if !ok || v == "" {
			return m, errf("--map %q: want date=COLUMN, value=COLUMN or figure=COLUMN|TEMPLATE|NAME", s)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "date":
			m.Date = v
		case "value":
			m.Value = v
		case "figure":
			m.Figure = v
		default:
			return m, errf("--map %q: %q is not date, value or figure", s, k)
		}
	}
	return m, m.check()
}

func (m Mapping) check() error {
	if m.Date == "" || m.Value == "" || m.Figure == "" {
		return errf("a column mapping needs date=, value= and figure= (e.g. --map date=Date --map value='In use+Overdraft' --map figure='{Product}.CountUsedMax')")
	}
	return nil
}

// IsZero reports a mapping that maps nothing: the plain date,name,value CSV.
func (m Mapping) IsZero() bool { return m == Mapping{} }

var columnVar = regexp.MustCompile(`\{([^{}]+)\}`)

// ParseMapped reads measurements through a mapping. The first line is the
// header. Rows that map to the same figure and day are added up (a
// product's license models), and the result says so line by line.
func ParseMapped(r io.Reader, m Mapping) ([]Measurement, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, &LineError{Line: 1, Msg: "no header line: a mapped CSV names its columns on its first line"}
	}
	cols := columnIndex(header)
	rm, err := m.resolve(cols)
	if err != nil {
		return nil, err
	}
	var sums dailySums
	err = eachRecord(cr, func(rec []string, line int) error {
		if blank(rec) {
			return nil
		}
		m, err := rm.row(rec, cols, line)
		if err == nil {
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

func columnIndex(header []string) map[string]int {
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	return cols
}

// resolvedMapping is a Mapping with its columns found in a header.
type resolvedMapping struct {
	date     int
	values   []int
	figure   int    // a column of names, or -1
	template string // a name or template, when figure is -1
}

func (m Mapping) resolve(cols map[string]int) (resolvedMapping, error) {
	find := func(what, name string) (int, error) {
		i, ok := cols[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			return 0, &LineError{Line: 1, Msg: fmt.Sprintf("%s column %q is not in the header (%s)", what, name, strings.Join(sortedColumns(cols), ", "))}
		}
		return i, nil
	}
	var rm resolvedMapping
	var err error
	if rm.date, err = find("date", m.Date); err != nil {
		return rm, err
	}
	for _, v := range strings.Split(m.Value, "+") {
		i, err := find("value", v)
		if err != nil {
			return rm, err
		}
		rm.values = append(rm.values, i)
	}
	rm.figure, rm.template = -1, m.Figure
	if i, ok := cols[strings.ToLower(m.Figure)]; ok {
		rm.figure = i
	}
	for _, v := range columnVar.FindAllStringSubmatch(m.Figure, -1) {
		if _, err := find("figure", v[1]); err != nil {
			return rm, err
		}
	}
	return rm, nil
}

func sortedColumns(cols map[string]int) []string {
	out := make([]string, len(cols))
	for name, i := range cols {
		out[i] = name
	}
	return out
}

func (rm resolvedMapping) row(rec []string, cols map[string]int, line int) (Measurement, error) {
	cell := func(i int) string {
		if i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	d, err := parseAnyDate(cell(rm.date))
	if err != nil {
		return Measurement{}, &LineError{Line: line, Msg: fmt.Sprintf("date %q: want YYYY-MM-DD, M/D/YYYY or an RFC 3339 time", cell(rm.date))}
	}
	var sum float64
	for _, i := range rm.values {
		s := strings.ReplaceAll(cell(i), ",", "")
		if s == "" {
			continue // an empty overdraft is none
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Measurement{}, &LineError{Line: line, Msg: fmt.Sprintf("value %q: want a number", cell(i))}
		}
		sum += v
	}
	name := rm.template
	if rm.figure >= 0 {
		name = cell(rm.figure)
	} else {
		name = columnVar.ReplaceAllStringFunc(name, func(v string) string { return cell(cols[strings.ToLower(v[1:len(v)-1])]) })
	}
	if name == "" {
		return Measurement{}, &LineError{Line: line, Msg: "empty figure name"}
	}
	return Measurement{Date: d, Name: name, Value: sum, Line: line}, nil
}

func parseAnyDate(s string) (string, error) {
	if d, err := parseDate(s); err == nil {
		return d, nil
	}
	for _, layout := range []string{"1/2/2006", "1/2/2006 15:04", "1/2/2006 3:04:05 PM", "2006/01/02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", errf("date %q", s)
}
