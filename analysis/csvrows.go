package analysis

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
)

// firstRecord reads the CSV record on the first line of head, the start
// of a file.
func firstRecord(head []byte) ([]string, bool) {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	rec, err := csv.NewReader(bytes.NewReader(line)).Read()
	return rec, err == nil
}

// headed returns a reader of r's CSV records past its header line, and
// that line.
func headed(r io.Reader) (*csv.Reader, []string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, &LineError{Line: 1, Msg: "no header line"}
	}
	return cr, header, nil
}

// eachRecord calls fn with each record cr reads, and the line it starts
// on, until the end of the input. A CSV syntax error is a *LineError.
func eachRecord(cr *csv.Reader, fn func(rec []string, line int) error) error {
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return &LineError{Line: pe.Line, Msg: pe.Err.Error()}
			}
			return err
		}
		line, _ := cr.FieldPos(0)
		if err := fn(rec, line); err != nil {
			return err
		}
	}
}

// dailySums collects measurements, adding up those of the same figure and
// day (a license's pools, or rows a mapping folds together), in the order
// each first appears.
type dailySums struct {
	out []Measurement
	at  map[[2]string]int
}

func (d *dailySums) add(m Measurement) {
	k := [2]string{m.Date, m.Name}
	if i, ok := d.at[k]; ok {
		d.out[i].Value += m.Value
		return
	}
	if d.at == nil {
		d.at = map[[2]string]int{}
	}
	d.at[k] = len(d.out)
	d.out = append(d.out, m)
}

// column is the index of the first header cell that, folded, is one of
// names, or -1. A UTF-8 byte order mark before the first cell is ignored.
func column(header, names []string) int {
	for i, h := range header {
		if slices.Contains(names, fold(strings.TrimPrefix(h, "\ufeff"))) {
			return i
		}
	}
	return -1
}

// blank reports whether every field of rec is empty or space.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
