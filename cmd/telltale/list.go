package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/store"
)

func newListCmd() *cobra.Command {
	var data, host, since string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List captures, newest last",
		Long: `list prints one line per capture, newest last. NO is the capture's number,
1, 2, 3… in log order, as the review UI shows it (show -n NO opens one);
ID is the id the evidence uses (the Seq of its first record, which skips
the response records between captures).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := store.Query{Host: host, Limit: limit}
			if since != "" {
				t, err := time.Parse(time.RFC3339Nano, since)
				if err != nil {
					return usage(fmt.Errorf("--since %q: want an RFC 3339 time such as 2026-04-15T00:00:00Z", since))
				}
				q.Since = t
			}
			if limit < 0 {
				return usage(fmt.Errorf("--limit must be 0 (no limit) or more"))
			}
			c, err := openCaptures(data)
			if err != nil {
				return err
			}
			defer c.Close()
			caps, err := c.List(q)
			if err != nil {
				return err
			}
			nums, err := captureNumbers(c)
			if err != nil {
				return err
			}
			if asJSON {
				out := []numberedCapture{}
				for _, c := range caps {
					out = append(out, numberedCapture{c, nums.Number(c.ID)})
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NO\tID\tTIME\tKIND\tMETHOD\tSTATUS\tREQ\tRESP\tURL\tERROR")
			for _, c := range caps {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", nums.Number(c.ID), c.ID, c.Time, c.Kind, c.Method, c.Status,
					c.RequestBytes, c.ResponseBytes, c.URL, c.Error)
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", defaultDataDir, "data dir")
	f.StringVar(&host, "host", "", "only this host")
	f.StringVar(&since, "since", "", "only captures at or after this RFC 3339 time")
	f.IntVar(&limit, "limit", 0, "at most this many (the newest); 0: all")
	f.BoolVar(&asJSON, "json", false, "print one JSON array")
	return cmd
}

// numberedCapture is a capture as `list --json` prints it: with its number.
type numberedCapture struct {
	store.Capture
	Number int `json:"number"`
}

// numberer is a source of capture numbers: the running server's catalog.
type numberer interface {
	Numbers() (*analysis.Numbers, error)
}

// captureNumbers numbers the captures as the review UI does: from the
// store file's log, or from the running server.
func captureNumbers(c captures) (*analysis.Numbers, error) {
	switch src := c.(type) {
	case *store.Store:
		return analysis.CaptureNumbers(src)
	case clientCloser:
		return src.Numbers()
	case numberer:
		return src.Numbers()
	}
	return &analysis.Numbers{}, nil
}
