package main

import (
	"encoding/json"
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
			var q analysis.Query
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
			if events, err = ofHost(a, host, events, func(d analysis.DriftEvent) string { return d.ID }); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), driftEventsJSON(events))
			}
			nums, err := numbersOf(a)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tCAPTURE\tKIND\tENDPOINT\tSIDE\tPATH\tTYPES")
			for _, d := range events {
				types := d.New
				if d.Old != "" {
					types = d.Old + " -> " + d.New
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", timeMS(d.Time), captureName(nums, d.ID, false), d.Kind, d.Endpoint, d.Side, d.Path, types)
			}
			return tw.Flush()
		},
	}
	f.add(cmd)
	times.add(cmd, captureTime)
	cmd.Flags().StringVar(&host, "host", "", "only this host or its subdomains (.example.com: only subdomains)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON array")
	return cmd
}

// driftEventJSON is a drift event as drift --json prints it: the capture
// id a number.
type driftEventJSON struct {
	ID json.Number `json:"id"`
	analysis.DriftEvent
}

func driftEventsJSON(events []analysis.DriftEvent) []driftEventJSON {
	out := make([]driftEventJSON, len(events))
	for i, d := range events {
		out[i] = driftEventJSON{json.Number(d.ID), d}
	}
	return out
}
