package report

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/telltale/telltale/analysis"
)

// figuresHeader is the same as `telltale figures --csv` prints.
// "day" is the usage day the figure describes (analysis.Point.Date).
var figuresHeader = []string{"time", "name", "value", "unit", "id", "endpoint", "path", "day"}

// WriteFiguresCSV writes every figure of the report, by reported time.
// Text that a spreadsheet would run as a formula gets a leading quote.
func (r *Report) WriteFiguresCSV(w io.Writer) error { return WriteFiguresCSV(w, r.Points) }

// WriteFiguresCSV writes pts as `telltale figures --csv` prints them,
// neutralised like the report's.
func WriteFiguresCSV(w io.Writer, pts []analysis.Point) error {
	cw := csv.NewWriter(w)
	cw.Write(figuresHeader)
	for _, p := range pts {
		cw.Write([]string{cell(p.Time), cell(p.Name), cell(formatValue(p.Value)), cell(p.Unit), p.ID, cell(p.Endpoint), cell(p.Path), cell(p.Date())})
	}
	cw.Flush()
	return cw.Error()
}

// cell keeps a spreadsheet from running a value as a formula (CSV
// injection, https://owasp.org/www-community/attacks/CSV_Injection). A
// negative number stays as it is.
func cell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if s[0] == '-' && isNumber(s[1:]) {
		return s
	}
	return "'" + s
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}
