package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/store"
)

type diffFlags struct {
	analysisFlags
	asJSON                    bool
	side, color               string
	headers, volatile         bool
	byID                      bool
	host, path, method, since string
}

func newDiffCmd() *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff NO [NO2] | diff --host H --path P [--since T]",
		Short: "Show what changed between two captures, or step by step along an endpoint's series",
		Long: `diff compares the decoded bodies of two captures field by field: inside
gzip, zip, tar.gz and multipart bodies, by path ($.Data.Features[3].Id,
manifest.json:$.TotalFiles). NO is a capture's number, as telltale list,
the review UI (no. 12) and the report name it; --id takes the ids the
evidence uses instead. With one NO it compares that capture with the
previous capture of the same endpoint (method, host and path template).
It starts with a summary in licensing terms (features added or gone,
figures changed, devices and users that joined or left a list); arrays
are matched by identity (features by Id), device and user lists as sets,
never by position. Changes the config marks volatile (timestamps, hashes,
nonces) are not counted and are hidden unless --volatile. The first
capture of an endpoint has nothing to compare with: diff says so and
exits 0.

With --host and --path (a path or a template such as
/{ccid}/licenseserver/activation/renew) it walks the endpoint's series and
prints each step's changes; --since starts the walk at a time.

--json prints {"from": ID, "to": ID, "name", "first", "summary": [{"kind",
"text", ...}], "changes": [{"path", "op" (added|removed|changed), "from",
"to", "side", "volatile", ...}], ...}, or for a series an array of
comparisons.`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return runDiff(cmd, args, f) },
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&f.asJSON, "json", false, "print JSON")
	fl.BoolVar(&f.byID, "id", false, "the arguments are the captures' ids in the evidence, not their numbers; print the ids too")
	addNumberFlag(cmd)
	fl.StringVar(&f.side, "side", analysis.SideRequest, "request, response or both")
	fl.BoolVar(&f.headers, "headers", false, "compare header fields too")
	fl.BoolVar(&f.volatile, "volatile", false, "list the volatile changes too (timestamps, hashes, device lists)")
	fl.StringVar(&f.color, "color", "auto", "auto (on a terminal), always or never")
	fl.StringVar(&f.host, "host", "", "series: the endpoint's host")
	fl.StringVar(&f.path, "path", "", "series: the endpoint's path or path template")
	fl.StringVar(&f.method, "method", "", "series: only this method (default: any)")
	fl.StringVar(&f.since, "since", "", "series: start at this "+captureTime+": a date (2026-05-01), 2026-05-01T10:00 (UTC) or RFC 3339")
	return cmd
}

func runDiff(cmd *cobra.Command, args []string, f diffFlags) error {
	series := f.host != "" || f.path != ""
	switch {
	case series && len(args) > 0:
		return usage(errors.New("give capture numbers, or --host and --path for a series, not both"))
	case series && (f.host == "" || f.path == ""):
		return usage(errors.New("a series needs both --host and --path"))
	case !series && len(args) == 0:
		return usage(errors.New("give a capture's number (`telltale list` shows them), two numbers, or --host and --path"))
	case !series && f.since != "":
		return usage(errors.New("--since walks a series: use it with --host and --path"))
	}
	since, err := parseTimeFlag("since", f.since)
	if err != nil {
		return err
	}
	pal, err := newPalette(cmd.OutOrStdout(), f.color)
	if err != nil {
		return err
	}
	a, err := f.open()
	if err != nil {
		return err
	}
	defer a.Close()
	o := analysis.CompareOptions{Side: f.side, Headers: f.headers}
	out := cmd.OutOrStdout()
	nums, err := numbersOf(a)
	if err != nil {
		return err
	}
	pal.name = func(id string) string { return captureName(nums, id, f.byID) }
	if series {
		return diffSeries(cmd, a, f, since, o, pal)
	}
	for i := range args {
		if args[i], err = captureRef(nums, args[i], f.byID); err != nil {
			return err
		}
	}
	from, to := "", args[0]
	if len(args) == 2 {
		from, to = args[0], args[1]
	}
	d, err := a.Licensing(from, to, o)
	if err != nil {
		return analysisErr(err)
	}
	if f.asJSON {
		return writeJSON(out, licenseDiffJSON{json.Number(d.From), json.Number(d.To), d})
	}
	printLicenseDiff(out, d, pal, f.volatile)
	return nil
}

// diffSeries compares each capture of an endpoint with the one before,
// from the first at or after since (and the one before it).
func diffSeries(cmd *cobra.Command, a analyst, f diffFlags, since time.Time, o analysis.CompareOptions, pal palette) error {
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	templates := analysis.Templates(cfg.Inspect.Templates)
	caps, err := a.List(store.Query{Host: f.host})
	if err != nil {
		return err
	}
	var ids []string
	start := -1
	for _, c := range caps {
		if c.Kind != store.CaptureExchange || !c.Complete {
			continue
		}
		ep := analysis.EndpointOf(c.Method, c.Host, c.URL, templates)
		if !analysis.SameTemplate(f.path, ep.Template, templates) || f.method != "" && ep.Method != strings.ToUpper(f.method) {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, c.Time); start < 0 && err == nil && !t.Before(since) {
			start = len(ids)
		}
		ids = append(ids, c.ID)
	}
	if start < 0 {
		return fmt.Errorf("no captures of %s %s%s: `telltale list --host %s` shows what there is", f.host, f.path, sinceText(f.since), f.host)
	}
	out := cmd.OutOrStdout()
	all := []comparisonJSON{}
	for i := max(start, 1); i < len(ids); i++ {
		c, err := a.Compare(ids[i-1], ids[i], o)
		if err != nil {
			return analysisErr(err)
		}
		if f.asJSON {
			all = append(all, comparisonJSON{json.Number(c.From), json.Number(c.To), c})
			continue
		}
		printComparison(out, c, pal, f.volatile)
		fmt.Fprintln(out)
	}
	if f.asJSON {
		return writeJSON(out, all)
	}
	if len(ids) == 1 {
		fmt.Fprintf(out, "Only one capture of %s %s (%s): nothing to compare yet.\n", f.host, f.path, pal.capture(ids[0]))
	}
	return nil
}

func sinceText(s string) string {
	if s == "" {
		return ""
	}
	return " since " + s
}

// licenseDiffJSON is a licensing diff as diff --json prints it: the
// capture ids numbers.
type licenseDiffJSON struct {
	From json.Number `json:"from"`
	To   json.Number `json:"to"`
	*analysis.LicenseDiff
}

// comparisonJSON is a comparison as diff --json prints it: the capture
// ids numbers.
type comparisonJSON struct {
	From json.Number `json:"from"`
	To   json.Number `json:"to"`
	*analysis.Comparison
}
