package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/report"
)

func newFiguresCmd() *cobra.Command {
	var f analysisFlags
	var name, host string
	var times timeRange
	var asCSV, asJSON bool
	cmd := &cobra.Command{
		Use:   "figures",
		Short: "Print the series of figures the license server reported (license counts, users, devices, version)",
		Long: `figures prints what each capture reported, by the time the payload says it
is for (e.g. the compliance upload's UTCDate), with the usage day it
describes (USAGE OF: a compliance upload sent on 2 June reports the usage of
1 June; the config's inspect.endpoints[].usage_day says how) and when it
was sent: per-feature CountUsedMax,
users and devices released, devices in use, the License Server version and
host name, as the config's inspect.endpoints[].figures extract them.
--since and --until filter that reported time, not the capture time. The
CHANGE column is the difference from the same figure's previous value.
--csv prints time,name,value,unit,id,endpoint,path,day with a header line.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asCSV && asJSON {
				return usage(fmt.Errorf("--csv or --json, not both"))
			}
			q := analysis.Query{Name: name}
			var err error
			if q.Since, q.Until, err = times.parse(); err != nil {
				return err
			}
			a, err := f.open()
			if err != nil {
				return err
			}
			defer a.Close()
			pts, err := a.Figures(q)
			if err != nil {
				return analysisErr(err)
			}
			if pts, err = ofHost(a, host, pts, func(p analysis.Point) string { return p.ID }); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch {
			case asJSON:
				return writeJSON(out, pointsJSON(pts))
			case asCSV:
				return report.WriteFiguresCSV(out, pts)
			}
			nums, err := numbersOf(a)
			if err != nil {
				return err
			}
			return writeFiguresTable(out, pts, nums)
		},
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", `only this figure; a glob such as "*.CountUsedMax" selects several`)
	times.add(cmd, reportedTime)
	fl.StringVar(&host, "host", "", "only figures sent to this host or its subdomains (.example.com: only subdomains)")
	fl.BoolVar(&asCSV, "csv", false, "print CSV")
	fl.BoolVar(&asJSON, "json", false, "print one JSON array")
	return cmd
}

func writeFiguresTable(w io.Writer, pts []analysis.Point, nums *analysis.Numbers) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USAGE OF\tSENT\tNAME\tVALUE\tCHANGE\tUNIT\tCAPTURE")
	last := map[string]analysis.Point{}
	for _, p := range pts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Date(), timeMS(p.Captured), p.Name, formatValue(p.Value), change(last[p.Name], p), p.Unit,
			captureName(nums, p.ID, false))
		last[p.Name] = p
	}
	return tw.Flush()
}

// change is the difference from the previous value of the same figure:
// "+12", "-3", "=" or, for a text, "changed".
func change(prev, p analysis.Point) string {
	if prev.Name == "" {
		return ""
	}
	a, ok1 := prev.Number()
	b, ok2 := p.Number()
	switch {
	case ok1 && ok2 && b == a:
		return "="
	case ok1 && ok2 && b > a:
		return "+" + formatValue(b-a)
	case ok1 && ok2:
		return formatValue(b - a)
	case formatValue(prev.Value) != formatValue(p.Value):
		return "changed"
	}
	return "="
}

// pointJSON is a figure as figures --json prints it: the capture id a
// number.
type pointJSON struct {
	ID json.Number `json:"id"`
	analysis.Point
}

func pointsJSON(pts []analysis.Point) []pointJSON {
	out := make([]pointJSON, len(pts))
	for i, p := range pts {
		out[i] = pointJSON{json.Number(p.ID), p}
	}
	return out
}
