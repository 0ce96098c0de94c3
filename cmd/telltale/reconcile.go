package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
)

func newReconcileCmd() *cobra.Command {
	var f analysisFlags
	var measured, tolerance string
	var maps []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reconcile --measured FILE.csv",
		Short: "Compare the figures the license server reported with your own measurement, day by day",
		Long: `reconcile reads your measurement, a CSV of date,figure name,value (an
optional header line; dates YYYY-MM-DD or RFC 3339; names as telltale
figures prints them, e.g. CAG_AAC_CCU.CountUsedMax), and compares it with
what was reported that day (UTC; the last report of a day counts). It
lists every day that differs beyond --tolerance, both ways: reported_higher
and measured_higher, and days reported_not_measured (within the span of
days you measured that figure) and measured_not_reported.

Exit status: 0 when everything agrees, 1 when there are mismatches (the
report is printed either way; any other failure also exits 1, with an
error and no report), 2 for bad usage or a malformed CSV, whose error
names the line.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if measured == "" {
				return usage(fmt.Errorf("--measured FILE.csv is required: lines of date,figure name,value"))
			}
			tol, err := analysis.ParseTolerance(tolerance)
			if err != nil {
				return usage(err)
			}
			m, err := readMeasurements(measured, maps)
			if err != nil {
				return err
			}
			a, err := f.open()
			if err != nil {
				return err
			}
			defer a.Close()
			pts, err := a.Figures(analysis.Query{})
			if err != nil {
				return analysisErr(err)
			}
			res := analysis.Reconcile(pts, m, tol)
			if asJSON {
				err = writeJSON(cmd.OutOrStdout(), reconciliationJSON(res))
			} else {
				err = writeReconciliation(cmd.OutOrStdout(), res)
			}
			if err == nil && len(res.Mismatches) > 0 {
				return fmt.Errorf("%d %s between what was reported and %s", len(res.Mismatches), plural(len(res.Mismatches), "mismatch"), measured)
			}
			return err
		},
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&measured, "measured", "", "your measurement: CSV of date,figure name,value")
	fl.StringVar(&tolerance, "tolerance", "0", "allowed difference: a number (2) or a percentage of the measured value (5%)")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	fl.StringArrayVar(&maps, "map", nil, "column mapping for another CSV layout: date=COL, value=COL[+COL], figure=COL|TEMPLATE (repeat)")
	return cmd
}

func readMeasurements(name string, maps []string) ([]analysis.Measurement, error) {
	var mp analysis.Mapping
	if len(maps) > 0 {
		var err error
		if mp, err = analysis.ParseMapping(maps); err != nil {
			return nil, usage(err)
		}
	}
	fh, err := os.Open(name)
	if err != nil {
		return nil, usage(fmt.Errorf("--measured: %w", err))
	}
	defer fh.Close()
	var m []analysis.Measurement
	if mp.IsZero() {
		m, err = analysis.ParseMeasurements(fh)
	} else {
		m, err = analysis.ParseMapped(fh, mp)
	}
	if err != nil {
		return nil, usage(fmt.Errorf("%s: %w", name, err))
	}
	return m, nil
}

func writeReconciliation(w io.Writer, r analysis.Reconciliation) error {
	fmt.Fprintf(w, "%d figure-days (tolerance %s): %d agree, %d %s (%d reported higher, %d measured higher, %d reported but not measured, %d measured but not reported).\n",
		r.Days, r.Tolerance, r.Counts[analysis.Agree], len(r.Mismatches), plural(len(r.Mismatches), "mismatch"),
		r.Counts[analysis.ReportedHigher], r.Counts[analysis.MeasuredHigher], r.Counts[analysis.ReportedNotMeasured], r.Counts[analysis.MeasuredNotReported])
	if len(r.Mismatches) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tNAME\tKIND\tREPORTED\tMEASURED\tDIFFERENCE\tCAPTURE\tLINE")
	for _, m := range r.Mismatches {
		diff, line := "", ""
		if m.Reported != nil && m.Measured != nil {
			diff = formatValue(m.Difference)
			if m.Difference > 0 {
				diff = "+" + diff
			}
		}
		if m.Line > 0 {
			line = fmt.Sprint(m.Line)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Date, m.Name, m.Kind, optional(m.Reported), optional(m.Measured), diff, m.ID, line)
	}
	return tw.Flush()
}

func optional(v *float64) string {
	if v == nil {
		return "-"
	}
	return formatValue(*v)
}

// mismatchJSON is a mismatch as reconcile --json prints it: the capture
// id a number, left out when there is none.
type mismatchJSON struct {
	analysis.Mismatch
	ID json.Number `json:"id,omitempty"`
}

// reconciliationJSON is reconcile --json.
func reconciliationJSON(r analysis.Reconciliation) any {
	ms := make([]mismatchJSON, len(r.Mismatches))
	for i, m := range r.Mismatches {
		ms[i] = mismatchJSON{m, json.Number(m.ID)}
	}
	return struct {
		analysis.Reconciliation
		Mismatches []mismatchJSON `json:"mismatches"`
	}{r, ms}
}
