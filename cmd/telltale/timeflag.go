package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/store"
)

// Every --since and --until of every command reads its value with
// timeFlag.parse, so that each accepts the same forms: a date
// (2026-05-01), a date and time without a zone (2026-05-01T10:00 or
// 2026-05-01T10:00:05, UTC) or an RFC 3339 time (2026-05-01T10:00:00+02:00).
// --since is inclusive; --until is exclusive, except that a date alone
// as --until includes that whole day (--since 2026-05-01 --until
// 2026-05-31 is May).

// What a --since/--until filters: when Telltale captured the request, or
// the time the payload itself reports (a compliance upload's UTCDate).
const (
	captureTime  = "capture time"
	reportedTime = "reported time"
)

// timeLayouts are the accepted forms, RFC 3339 first; the others are UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", time.DateOnly}

// timeRange is the --since and --until of one command.
type timeRange struct {
	since, until string
}

// add registers --since and --until, their help saying which time they
// filter (captureTime or reportedTime).
func (r *timeRange) add(cmd *cobra.Command, which string) {
	cmd.Flags().StringVar(&r.since, "since", "", "only from this "+which+" on: a date (2026-05-01), 2026-05-01T10:00 (UTC) or RFC 3339")
	cmd.Flags().StringVar(&r.until, "until", "", "only before this "+which+": same forms; a date alone includes that day")
}

// parse returns the range; zero times are unbounded.
func (r timeRange) parse() (since, until time.Time, err error) {
	if since, err = parseTimeFlag("since", r.since); err != nil {
		return
	}
	if until, err = parseTimeFlag("until", r.until); err != nil {
		return
	}
	if !since.IsZero() && !until.IsZero() && !until.After(since) {
		err = usage(fmt.Errorf("--until %s is not after --since %s: nothing can match", r.until, r.since))
	}
	return
}

// parseTimeFlag reads one --since or --until value (name without the
// dashes); "" is the zero time.
func parseTimeFlag(name, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range timeLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if layout == time.DateOnly && name == "until" {
			t = t.AddDate(0, 0, 1) // the whole day
		}
		return t, nil
	}
	return time.Time{}, usage(fmt.Errorf("--%s %q: want a date (2026-05-01), a UTC time (2026-05-01T10:00) or an RFC 3339 time (2026-05-01T10:00:00Z)", name, s))
}

// timeMS is a stored time (store.TimeFormat) as the text output prints
// it: UTC, to the millisecond. Anything else is returned as it is.
func timeMS(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(msFormat)
}

// msFormat is RFC 3339 with milliseconds.
const msFormat = "2006-01-02T15:04:05.000Z07:00"

// storeTime formats a parsed flag for the store's queries and manifests.
func storeTime(t time.Time) string { return t.UTC().Format(store.TimeFormat) }
