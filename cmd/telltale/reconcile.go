package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/measure"
)

func newReconcileCmd() *cobra.Command {
	var f analysisFlags
	var measured, tolerance string
	var maps []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reconcile [--measured FILE.csv]",
		Short: "Compare the figures the license server reported with your own measurement, day by day",
		Long: `reconcile reads your measurement, a CSV of date,figure name,value (an
optional header line; dates YYYY-MM-DD or RFC 3339; names as telltale
figures prints them, e.g. CAG_AAC_CCU.CountUsedMax, or a license's name
such as "Citrix Virtual Apps and Desktops Premium User/Device"), or the
Licensing Manager's Historical Use export, recognised from its header
(Date, Product, Edition, Model, In Use, Overdraft; product names matched
to feature codes; peak in use and overdraft compared apart), or the CSV an
administrator's usage script writes (date-time, license, count, usage,
recognised from its header; each license's daily peak in use), and compares
it with what was reported for that usage day (a compliance upload sent on
2 June reports 1 June; the last report of a day counts). A measured figure
the License Server never reported is listed as matching nothing, not as a
mismatch. It
lists every day that differs beyond --tolerance, both ways: reported_higher
and measured_higher, and days reported_not_measured (within the span of
days you measured that figure) and measured_not_reported.

Exit status: 0 when everything agrees, 1 when there are mismatches (the
report is printed either way; any other failure also exits 1, with an
error and no report), 2 for bad usage or a malformed CSV, whose error
names the line.

Without --measured, reconcile uses Telltale's own measurement: the
samples of the License Server's WMI license pools that serve keeps
(measure.wmi_interval), each license's daily peak in use.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tol, err := analysis.ParseTolerance(tolerance)
			if err != nil {
				return usage(err)
			}
			cat, _, err := f.licenses()
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
			var m []analysis.Measurement
			var format string
			if measured == "" {
				m, err = storedMeasurements(a)
				format, measured = formatWMI, "Telltale's WMI samples"
			} else {
				m, format, err = readMeasurements(measured, maps, cat, analysis.KnownLicenses(pts))
			}
			if err != nil {
				return err
			}
			res := analysis.Reconcile(analysis.WithOverdraft(pts), m, tol)
			if asJSON {
				err = writeJSON(cmd.OutOrStdout(), reconciliationJSON(res, format))
			} else {
				var nums *analysis.Numbers
				if nums, err = numbersOf(a); err == nil {
					err = writeReconciliation(cmd.OutOrStdout(), res, format, cat, nums)
				}
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

// readMeasurements reads --measured in whichever format it is
// (analysis.ReadMeasurements): through --map, else the Historical Use
// export recognised from its header, else date,figure name,value.
func readMeasurements(name string, maps []string, cat *analysis.Catalog, known []string) ([]analysis.Measurement, string, error) {
	var mp analysis.Mapping
	if len(maps) > 0 {
		var err error
		if mp, err = analysis.ParseMapping(maps); err != nil {
			return nil, "", usage(err)
		}
	}
	fh, err := os.Open(name)
	if err != nil {
		return nil, "", usage(fmt.Errorf("--measured: %w", err))
	}
	defer fh.Close()
	m, format, err := analysis.ReadMeasurements(fh, mp, cat, known)
	if err != nil {
		return nil, "", usage(fmt.Errorf("%s: %w", name, err))
	}
	return m, format, nil
}

// formatWMI is the format of the measurement reconcile takes without
// --measured: the WMI samples serve keeps in the store.
const formatWMI = "wmi"

// storedMeasurements are the daily peaks of the WMI samples in the
// store; none is a usage error that says how to get some.
func storedMeasurements(a analyst) ([]analysis.Measurement, error) {
	var l measure.Loader
	switch a := a.(type) {
	case localAnalyst:
		l = a.Store
	case remoteAnalyst: // serve runs: ask it
		l, _ = a.captures.(measure.Loader)
	}
	if l == nil {
		return nil, usage(fmt.Errorf("--measured FILE.csv is required: this store's WMI samples cannot be read"))
	}
	ss, err := measure.Load(l)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, usage(fmt.Errorf("--measured FILE.csv is required: the store holds no WMI samples (measure.wmi_interval turns them on); give lines of date,figure name,value, the Licensing Manager's Historical Use export or a usage script's CSV"))
	}
	return measure.DailyPeaks(ss), nil
}

// formatWords says how a measurement file was read.
var formatWords = map[string]string{
	formatWMI:                  "Telltale's own samples of the License Server's WMI license pools (each license's daily peak in use)",
	analysis.FormatUsageScript: "a usage script's CSV (date-time, license, count, usage; recognised from its header; each license's daily peak in use)",
	analysis.FormatHistorical:  "the Licensing Manager's Historical Use export (recognised from its header; licenses matched by name, by usage day; peak in use and overdraft compared apart)",
	analysis.FormatMapped:      "a CSV through --map",
	analysis.FormatPlain:       "a CSV of date, figure name, value",
}

func writeReconciliation(w io.Writer, r analysis.Reconciliation, format string, cat *analysis.Catalog, nums *analysis.Numbers) error {
	fmt.Fprintf(w, "Read as %s.\n", formatWords[format])
	fmt.Fprintf(w, "%d figure-days (tolerance %s): %d agree, %d %s (%d reported higher, %d measured higher, %d reported but not measured, %d measured but not reported), %d matched no reported figure.\n",
		r.Days, r.Tolerance, r.Counts[analysis.Agree], len(r.Mismatches), plural(len(r.Mismatches), "mismatch"),
		r.Counts[analysis.ReportedHigher], r.Counts[analysis.MeasuredHigher], r.Counts[analysis.ReportedNotMeasured], r.Counts[analysis.MeasuredNotReported],
		r.Counts[analysis.Unmatched])
	if len(r.Unmatched) > 0 {
		fmt.Fprintf(w, "Not compared, because the License Server never reported them (not counted as mismatches): %s.\n", strings.Join(r.Unmatched, "; "))
	}
	if len(r.Mismatches) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tNAME\tKIND\tREPORTED\tMEASURED\tDIFFERENCE\tCAPTURE\tLINE\tLICENSE")
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
		subj, _, _ := strings.Cut(m.Name, ".")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Date, m.Name, m.Kind, optional(m.Reported), optional(m.Measured), diff, mismatchCapture(nums, m.ID), line, cat.Describe(subj).Name())
	}
	return tw.Flush()
}

// mismatchCapture names a mismatch's capture by number; "" when the
// figure was never reported.
func mismatchCapture(nums *analysis.Numbers, id string) string {
	if id == "" {
		return ""
	}
	return captureName(nums, id, false)
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
func reconciliationJSON(r analysis.Reconciliation, format string) any {
	ms := make([]mismatchJSON, len(r.Mismatches))
	for i, m := range r.Mismatches {
		ms[i] = mismatchJSON{m, json.Number(m.ID)}
	}
	return struct {
		analysis.Reconciliation
		Format     string         `json:"format"`
		Mismatches []mismatchJSON `json:"mismatches"`
	}{r, format, ms}
}
