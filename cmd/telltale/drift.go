package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
)

func newDriftCmd() *cobra.Command {
	var f analysisFlags
	var host string
	var times timeRange
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "List new endpoints, new fields and changed field types, oldest first",
		Long: `drift lists what Telltale flagged while learning each endpoint's payloads:
the first capture of an endpoint (new_endpoint), a field never sent before
(new_field), a field whose type changed (type_changed). Paths are shape
paths: indexes written [] so that they name the field in every capture.
serve logs each once, at warn level, as it happens: as its alert (a new
endpoint, or the fields that drifted; the same alert at most once per
alerts.repeat).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := analysis.Query{Host: host}
			var err error
			if q.Since, q.Until, err = times.parse(); err != nil {
				return err
			}
			a, err := f.open()
			if err != nil {
				return err
			}
			defer a.Close()
			events, err := a.Drift(q)
			if err != nil {
				return analysisErr(err)
			}
			if asJSON {
				if events == nil {
					events = []analysis.DriftEvent{}
				}
				return writeJSON(cmd.OutOrStdout(), events)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tID\tKIND\tENDPOINT\tSIDE\tPATH\tTYPES")
			for _, d := range events {
				types := d.New
				if d.Old != "" {
					types = d.Old + " -> " + d.New
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Time, d.ID, d.Kind, d.Endpoint, d.Side, d.Path, types)
			}
			return tw.Flush()
		},
	}
	f.add(cmd)
	times.add(cmd, captureTime)
	cmd.Flags().StringVar(&host, "host", "", "only this host")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON array")
	return cmd
}
