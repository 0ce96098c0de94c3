package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
)

func newEndpointsCmd() *cobra.Command {
	var f analysisFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "endpoints",
		Short: "List the endpoints the license server talks to, and the personal data each was sent",
		Long: `endpoints lists every endpoint (method, host, path template) with how many
captures it has, when it was first and last seen, and the request fields
that carried personal data: e-mail addresses and UPNs, user names, SIDs,
host and device names, IP addresses, and hashed identifiers such as the
truncated SHA-256 user hashes of Citrix's CEIP telemetry (pseudonymous
data is still personal data). --json adds each endpoint's learnt shape.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := f.open()
			if err != nil {
				return err
			}
			defer a.Close()
			eps, err := a.Endpoints()
			if err != nil {
				return analysisErr(err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), endpointsJSON(eps))
			}
			nums, err := numbersOf(a)
			if err != nil {
				return err
			}
			printEndpoints(cmd.OutOrStdout(), eps, nums)
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON array")
	return cmd
}

func printEndpoints(w io.Writer, eps []analysis.EndpointInfo, nums *analysis.Numbers) {
	for i, e := range eps {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\n  %d %s, first %s (capture %s), last %s (capture %s)\n",
			e.Endpoint, e.Captures, plural(e.Captures, "capture"), timeMS(e.FirstTime), captureName(nums, e.FirstID, false), timeMS(e.LastTime), captureName(nums, e.LastID, false))
		if len(e.Personal) == 0 {
			fmt.Fprintln(w, "  personal data: none found")
			continue
		}
		fmt.Fprintln(w, "  personal data:")
		for _, p := range e.Personal {
			fmt.Fprintf(w, "    %-11s %s  (%s; in %d of %d)\n", p.Category, p.Path, strings.TrimSpace(p.Why), p.Count, e.Captures)
		}
	}
}

// endpointJSON is an endpoint as endpoints --json prints it: the capture
// ids numbers.
type endpointJSON struct {
	analysis.EndpointInfo
	FirstID json.Number `json:"first_id"`
	LastID  json.Number `json:"last_id"`
}

func endpointsJSON(eps []analysis.EndpointInfo) []endpointJSON {
	out := make([]endpointJSON, len(eps))
	for i, e := range eps {
		out[i] = endpointJSON{e, json.Number(e.FirstID), json.Number(e.LastID)}
	}
	return out
}
