package report

import (
	"slices"
	"strconv"
	"strings"

	"github.com/telltale/telltale/analysis"
)

// Group is the figures of one feature or source (the name before the
// first dot: "CAG_AAC_CCU" of "CAG_AAC_CCU.CountUsedMax"), shown as one
// table of days by figures, so that a month of a feature fits a page.
type Group struct {
	Name    string
	Series  []Series // by name
	Columns []string // the series' names without the group's
	Rows    []Row
}

// Row is one day of a group: each series' value that day ("" when it
// reported none, or a text that did not change) and the captures.
type Row struct {
	Date  string
	Cells []Cell
	IDs   string
}

// Cell is one figure's value on one day.
type Cell struct {
	Value, Change string
}

// groups gathers the series (sorted by name) by the part of their name
// before the first dot.
func groups(all []Series) []Group {
	var out []Group
	for _, s := range all {
		name, short, ok := strings.Cut(s.Name, ".")
		if !ok {
			short = s.Name
		}
		if n := len(out); n == 0 || out[n-1].Name != name {
			out = append(out, Group{Name: name})
		}
		g := &out[len(out)-1]
		g.Series = append(g.Series, s)
		g.Columns = append(g.Columns, short)
	}
	for i := range out {
		out[i].Rows = rows(out[i].Series)
	}
	return out
}

// rows lays the series of a group out by day.
func rows(series []Series) []Row {
	byDate := map[string]*Row{}
	ids := map[string][]string{}
	var dates []string
	for i, s := range series {
		for _, d := range s.Days {
			r := byDate[d.Date]
			if r == nil {
				r = &Row{Date: d.Date, Cells: make([]Cell, len(series))}
				byDate[d.Date] = r
				dates = append(dates, d.Date)
			}
			r.Cells[i] = Cell{Value: d.Value, Change: d.Change}
			if !slices.Contains(ids[d.Date], d.ID) {
				ids[d.Date] = append(ids[d.Date], d.ID)
			}
		}
	}
	slices.Sort(dates)
	out := make([]Row, len(dates))
	for i, d := range dates {
		slices.SortFunc(ids[d], cmpID)
		out[i] = *byDate[d]
		out[i].IDs = strings.Join(ids[d], " ")
	}
	return out
}

// numberRows shows the captures of each row by their numbers, when
// known.
func numberRows(gs []Group, n *analysis.Numbers) {
	if n == nil {
		return
	}
	for _, g := range gs {
		for i := range g.Rows {
			ids := strings.Fields(g.Rows[i].IDs)
			nums := make([]string, 0, len(ids))
			for _, id := range ids {
				k := n.Number(id)
				if k == 0 {
					nums = nil
					break
				}
				nums = append(nums, strconv.Itoa(k))
			}
			if nums != nil {
				g.Rows[i].IDs = strings.Join(nums, " ")
			}
		}
	}
}
