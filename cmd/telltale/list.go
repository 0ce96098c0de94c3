package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/store"
)

type listFlags struct {
	data, config                            string
	host, method, kind, status, endpoint, q string
	sentBy                                  string
	times                                   timeRange
	usageDay, usageSince, usageUntil        string
	limit, offset                           int
	asJSON, withID                          bool
}

func newListCmd() *cobra.Command {
	var fl listFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List captures, newest last",
		Long: `list prints the captures that match every filter given, oldest first. NO
is the capture's number, 1, 2, 3… in log order, as the review UI and the
report show it (show NO opens one); --id adds ID, the id the evidence uses
(the Seq of its first record, which skips the response records between
captures); --json prints both. With
--limit N it prints the newest N; --offset K skips the newest K first, so
--limit 50 --offset 50 is the 50 before the newest 50. --since and --until
filter the capture time; --usage-since and --usage-until (both included)
filter the usage day a capture reports on (a compliance upload sent on 2
June reports 1 June), --usage-day one day: captures that report no usage
day are left out. --host citrix.com matches citrix.com and its
subdomains (cis.citrix.com); --host .citrix.com only the subdomains. Lists
(--status 4xx,5xx) are alternatives. --q searches URLs and decoded bodies
(inside gzip, zip, base64). SENT BY is the program on the proxy's own host
that opened the connection, name[pid] ("-": a client on another host);
--sent-by matches its name, image path, service, user or PID.`,
		RunE: func(cmd *cobra.Command, _ []string) error { return runList(cmd, fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.data, "data", defaultDataDir, "data dir")
	f.StringVarP(&fl.config, "config", "c", "", "config whose inspect.templates name the endpoints when the store is read directly")
	f.StringVar(&fl.host, "host", "", "only this host or its subdomains (.example.com: only subdomains); comma-separated alternatives")
	f.StringVar(&fl.method, "method", "", "only these methods (POST,GET)")
	f.StringVar(&fl.kind, "kind", "", "only these kinds: exchange, tunnel, denied")
	f.StringVar(&fl.status, "status", "", "only these statuses: a code (200), a class (4xx), none or error")
	f.StringVar(&fl.endpoint, "endpoint", "", `only this endpoint, as list --json and telltale endpoints name it ("POST cis.citrix.com /api/upload/{id}")`)
	f.StringVar(&fl.q, "q", "", "only captures whose URL or decoded body holds this text (any case)")
	f.StringVar(&fl.sentBy, "sent-by", "", "only captures sent by this program on the proxy's host: a name, image path, service or user (any case), or a PID")
	fl.times.add(cmd, captureTime)
	f.StringVar(&fl.usageDay, "usage-day", "", "only captures that report on this usage day, YYYY-MM-DD")
	f.StringVar(&fl.usageSince, "usage-since", "", "only captures that report on this usage day or later, YYYY-MM-DD")
	f.StringVar(&fl.usageUntil, "usage-until", "", "only captures that report on this usage day or earlier, YYYY-MM-DD")
	f.IntVar(&fl.limit, "limit", 0, "at most this many (the newest); 0: all")
	f.IntVar(&fl.offset, "offset", 0, "skip this many of the newest first")
	f.BoolVar(&fl.asJSON, "json", false, "print one JSON array")
	f.BoolVar(&fl.withID, "id", false, "add the id each capture has in the evidence")
	return cmd
}

// catalogOnly reports whether a filter needs the admin API's catalog.
func (fl listFlags) catalogOnly() bool {
	return fl.host != "" || fl.method != "" || fl.kind != "" || fl.status != "" || fl.endpoint != "" || fl.q != "" || fl.sentBy != "" || fl.offset > 0 ||
		fl.usageSince != "" || fl.usageUntil != ""
}

func runList(cmd *cobra.Command, fl listFlags) error {
	since, until, err := fl.times.parse()
	if err != nil {
		return err
	}
	if fl.limit < 0 || fl.offset < 0 {
		return usage(fmt.Errorf("--limit and --offset must be 0 or more"))
	}
	if fl.usageDay != "" {
		if fl.usageSince != "" || fl.usageUntil != "" {
			return usage(fmt.Errorf("--usage-day or --usage-since/--usage-until, not both"))
		}
		fl.usageSince, fl.usageUntil = fl.usageDay, fl.usageDay
	}
	cfg, err := loadConfig(fl.config)
	if err != nil {
		return err
	}
	templates := analysis.Templates(cfg.Inspect.Templates)
	var items []admin.Item
	if fl.catalogOnly() {
		items, err = fl.listCatalog(since, until, cfg)
	} else {
		items, err = listIndexed(fl.data, store.Query{Since: since, Until: until, Limit: fl.limit}, templates)
	}
	var behind *store.BehindError
	if err != nil && !errors.As(err, &behind) {
		return err
	}
	if fl.asJSON {
		err = writeJSON(cmd.OutOrStdout(), listedJSON(items))
	} else {
		err = printList(cmd.OutOrStdout(), items, fl.withID)
	}
	if err == nil && behind != nil {
		// A partial list must not pass for a complete one.
		return fmt.Errorf("list: incomplete: the newest %d acknowledged records are in the write-ahead log but not yet "+
			"indexed (serve's indexer is behind: see its log and /metrics); the captures above lack them", behind.Missing)
	}
	return err
}

// listCatalog answers every filter through the admin API's catalog.
func (fl listFlags) listCatalog(since, until time.Time, cfg *configs.Config) ([]admin.Item, error) {
	v := url.Values{}
	for k, s := range map[string]string{"host": fl.host, "method": fl.method, "kind": fl.kind, "status": fl.status, "endpoint": fl.endpoint, "q": fl.q,
		"usage_since": fl.usageSince, "usage_until": fl.usageUntil, "sent_by": fl.sentBy} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if !since.IsZero() {
		v.Set("since", storeTime(since))
	}
	if !until.IsZero() {
		v.Set("until", storeTime(until))
	}
	var inspect *configs.Inspect
	if fl.usageSince != "" || fl.usageUntil != "" {
		inspect = &cfg.Inspect // the usage days are the analysis's
	}
	c, closeCat, err := openCatalog(fl.data, analysis.Templates(cfg.Inspect.Templates), inspect)
	if err != nil {
		return nil, err
	}
	defer closeCat()
	items, _, err := pageAll(c, v, fl.limit, fl.offset)
	if errors.Is(err, store.ErrBehind) {
		return items, err
	}
	if err != nil {
		return nil, listErr(err)
	}
	return items, nil
}

// listIndexed answers the filters the store's indexes answer (time and
// limit) without building the catalog: fast on a large store.
func listIndexed(dir string, q store.Query, templates analysis.Templates) ([]admin.Item, error) {
	c, err := openCaptures(dir)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	caps, err := c.List(q)
	behind := err
	if err != nil && !errors.Is(err, store.ErrBehind) {
		return nil, err
	}
	nums, err := captureNumbers(c)
	if err != nil {
		return nil, err
	}
	items := make([]admin.Item, len(caps))
	for i, cp := range caps {
		items[i] = admin.Item{Capture: cp, Endpoint: cp.Kind + " " + strings.ToLower(cp.Host), Number: nums.Number(cp.ID)}
		if cp.Kind == store.CaptureExchange {
			items[i].Endpoint = analysis.EndpointOf(cp.Method, cp.Host, cp.URL, templates).String()
		}
	}
	return items, behind
}

// listErr words the API's answer to a bad filter as bad usage.
func listErr(err error) error {
	if s := err.Error(); strings.Contains(s, "400 Bad Request") {
		_, msg, _ := strings.Cut(s, "400 Bad Request: ")
		return usage(fmt.Errorf("list: --%s", msg))
	}
	return err
}

func printList(w io.Writer, items []admin.Item, withID bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	id := func(s string) string {
		if withID {
			return s + "\t"
		}
		return ""
	}
	fmt.Fprintln(tw, "NO\t"+id("ID")+"TIME\tKIND\tMETHOD\tSTATUS\tREQ\tRESP\tURL\tSENT BY\tERROR")
	for _, c := range items {
		fmt.Fprintf(tw, "%d\t%s%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", c.Number, id(c.ID), timeMS(c.Time), c.Kind, c.Method, c.Status,
			c.RequestBytes, c.ResponseBytes, c.URL, c.Process.Short(), c.Error)
	}
	return tw.Flush()
}

// listedCapture is a capture as list --json prints it: its id and the previous
// capture's are numbers.
type listedCapture struct {
	ID json.Number `json:"id"`
	admin.Item
	Prev json.Number `json:"prev,omitempty"`
}

func listedJSON(items []admin.Item) []listedCapture {
	out := make([]listedCapture, len(items))
	for i, it := range items {
		out[i] = listedCapture{ID: json.Number(it.ID), Item: it, Prev: json.Number(it.Prev)}
	}
	return out
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
