package estate

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Estate is the logs one review covers, in one archive.
type Estate struct {
	Source Source
	Prefix string
	Logs   []Log
	Verify VerifyOptions
	// LagWarn is how old a log's latest archived checkpoint may be before
	// the review flags the license server as behind; 0 means a day.
	LagWarn time.Duration
	Now     func() time.Time
	// Since are the trees the last review verified, by log key: each log
	// is then checked from there (VerifyOptions.From).
	Since map[string]Trusted
}

// Report is a review of every log of an estate.
type Report struct {
	Logs []*LogReport
	Time time.Time
	// LagWarn is the estate's LagWarn.
	LagWarn time.Duration
}

// OK reports whether every log verified.
func (r *Report) OK() bool {
	for _, l := range r.Logs {
		if !l.OK() {
			return false
		}
	}
	return true
}

// Review verifies every log. progress, when set, is told each log as it
// is done.
func (e *Estate) Review(ctx context.Context, progress func(done, total int, name string)) (*Report, error) {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	lag := e.LagWarn
	if lag <= 0 {
		lag = 24 * time.Hour
	}
	rep := &Report{Time: now(), LagWarn: lag}
	for i, l := range e.Logs {
		o := e.Verify
		if t, ok := e.Since[l.Key]; ok {
			o.From = &t
		}
		lr, err := Verify(ctx, e.Source, e.Prefix, l, o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.Name, err)
		}
		lr.key = l.Key
		rep.Logs = append(rep.Logs, lr)
		if progress != nil {
			progress(i+1, len(e.Logs), lr.Name)
		}
	}
	return rep, nil
}

// Trusted are the trees of the logs that verified, by log key, for the
// next review's Since.
func (r *Report) Trusted() map[string]Trusted {
	out := map[string]Trusted{}
	for _, l := range r.Logs {
		if l.OK() && l.Size > 0 {
			out[l.key] = Trusted{Size: l.Size, Root: l.Root}
		}
	}
	return out
}

// Print writes the review as a table, then every problem.
func (r *Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "LICENSE SERVER\tORIGIN\tRECORDS\tCHECKPOINTS\tLAST UPLOAD\tLAG\tBODIES\tSTATUS")
	for _, l := range r.Logs {
		status := "verified"
		if !l.OK() {
			status = fmt.Sprintf("FAILED (%d problems)", len(l.Problems))
		}
		lag, last := "-", "-"
		if !l.Latest.IsZero() {
			d := r.Time.Sub(l.Latest).Round(time.Minute)
			lag, last = d.String(), l.Latest.UTC().Format("2006-01-02 15:04")
			if d > r.LagWarn && l.OK() {
				status = "verified, behind"
			}
		}
		bodies := fmt.Sprint(l.Bodies)
		if l.From > 0 {
			status += fmt.Sprintf(" (from %d)", l.From)
		}
		if l.Missing > 0 {
			bodies += fmt.Sprintf(" (%d not archived)", l.Missing)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", l.Name, l.Origin, l.Size, l.Checkpoints, last, lag, bodies, status)
	}
	tw.Flush()
	for _, l := range r.Logs {
		for _, p := range l.Problems {
			fmt.Fprintf(w, "%s: %s\n", l.Name, p)
		}
		for name, n := range l.Cosigned {
			fmt.Fprintf(w, "%s: %d checkpoints cosigned by %s\n", l.Name, n, name)
		}
		if l.Timestamps > 0 {
			fmt.Fprintf(w, "%s: %d checkpoints timestamped (RFC 3161)\n", l.Name, l.Timestamps)
		}
	}
}
