package main

import (
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/server"
)

func newPositionCmd() *cobra.Command {
	var f analysisFlags
	var since, until, measured string
	var days int
	var maps []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "position [--days 30|90|365 | --since DAY --until DAY] [--json]",
		Short: "Your license position, license by license, from what the License Server sent",
		Long: `position answers what a vendor review turns on, from the very figures the
License Server sent: per license (feature code, product, edition, model),
what is installed (the activation renewals, and Call Home where it carries
license data; licenses.entitlements in the config overrides or adds), the
overdraft allowance where known, the reported peak in use over the period
and its day, the latest day's in use, your measured peak (--measured, as
telltale reconcile reads it), the days over installed (how many, the
highest excess, the first and last), the dormant entitlement (installed
minus peak, as a count and a percentage) and a straight-line projection of
when the peak would reach installed. Days are usage days: a compliance
upload sent on 2 June reports 1 June. Every number names the captures it
comes from. What is not known is said, with why.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, d := range []string{since, until} {
				if _, err := time.Parse(time.DateOnly, d); d != "" && err != nil {
					return usage(fmt.Errorf("--since and --until are usage days, YYYY-MM-DD: %q", d))
				}
			}
			if days < 0 || since != "" && cmd.Flags().Changed("days") {
				return usage(fmt.Errorf("--days or --since, not both"))
			}
			cfg, err := loadConfig(f.config)
			if err != nil {
				return err
			}
			o := analysis.PositionOptions{Since: since, Until: until, Days: days,
				Names: analysis.NewNames(server.AnalysisOptions(cfg.Inspect, zerolog.Nop()).Rules)}
			if o.Catalog, o.Entitlements, err = licensesOf(cfg, f.data); err != nil {
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
			if o.Numbers, err = numbersOf(a); err != nil {
				return err
			}
			if measured != "" {
				if o.Measured, _, err = readMeasurements(measured, maps, o.Catalog, analysis.KnownLicenses(pts)); err != nil {
					return err
				}
			}
			pos := analysis.ComputePosition(pts, o)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), pos)
			}
			return writePosition(cmd.OutOrStdout(), pos)
		},
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.IntVar(&days, "days", 30, "the period: this many usage days up to the latest reported (30, 90, 365…)")
	fl.StringVar(&since, "since", "", "first usage day of the period, YYYY-MM-DD")
	fl.StringVar(&until, "until", "", "last usage day of the period, YYYY-MM-DD (default: the latest reported)")
	fl.StringVar(&measured, "measured", "", "your measurement, for the measured peak (as telltale reconcile reads it)")
	fl.StringArrayVar(&maps, "map", nil, "column mapping of --measured (as telltale reconcile --map)")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

var statusWords = map[string]string{
	analysis.StatusOver: "OVER", analysis.StatusNear: "NEAR", analysis.StatusDormant: "DORMANT",
	analysis.StatusOK: "OK", analysis.StatusUnknown: "UNKNOWN",
}

// writePosition prints the position, one paragraph per license.
func writePosition(w io.Writer, pos analysis.Position) error {
	fmt.Fprintf(w, "License position, usage days %s to %s", pos.From, pos.To)
	if pos.Latest != "" {
		fmt.Fprintf(w, " (latest reported: %s)", pos.Latest)
	}
	fmt.Fprintln(w, ".")
	for _, m := range pos.Missing {
		fmt.Fprintf(w, "Missing: %s.\n", m)
	}
	for _, l := range pos.Licenses {
		fmt.Fprintf(w, "\n%-7s %s\n", statusWords[l.Status], l.Headline())
		for _, line := range analysis.PositionLines(l) {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}
