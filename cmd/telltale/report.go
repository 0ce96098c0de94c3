package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/report"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

type reportFlags struct {
	out, data, config, host string
	times                   timeRange
	measured, tolerance     string
	maps                    []string // --map: column mapping of the measurement, as reconcile's
}

func newReportCmd() *cobra.Command {
	var fl reportFlags
	cmd := &cobra.Command{
		Use:   "report -o FILE.html",
		Short: "Write the vendor hand-over report: one printable HTML page",
		Long: `report writes one self-contained HTML page (no scripts; it prints to PDF as
it is) on the selected captures: what was sent per endpoint, the figures
reported per day with charts, the reconciliation with your measurement
(--measured, the CSV of telltale reconcile), the personal data the
requests carried, and the latest signed checkpoint with the commands that
verify it. A checkpoint is signed first if the log grew. Every export
bundle holds the same page for its captures, and figures.csv.`,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReport(cmd, fl) },
	}
	f := cmd.Flags()
	f.StringVarP(&fl.out, "output", "o", "", "the HTML file to write (required)")
	f.StringVar(&fl.data, "data", defaultDataDir, "data dir")
	f.StringVarP(&fl.config, "config", "c", "", "config whose inspect rules name endpoints and extract figures; default: the embedded one")
	f.StringVar(&fl.host, "host", "", "only this host or its subdomains (.example.com: only subdomains)")
	fl.times.add(cmd, captureTime)
	f.StringVar(&fl.measured, "measured", "", "your measurement to reconcile with: CSV of date,figure name,value")
	f.StringArrayVar(&fl.maps, "map", nil, "column mapping of --measured for another CSV layout (the Historical Use export): as telltale reconcile --map")
	f.StringVar(&fl.tolerance, "tolerance", "0", "allowed difference in the reconciliation: a number (2) or a percentage (5%)")
	return cmd
}

func runReport(cmd *cobra.Command, fl reportFlags) error {
	if fl.out == "" {
		return usage(errors.New("-o FILE.html is required: where to write the report"))
	}
	since, until, err := fl.times.parse()
	if err != nil {
		return err
	}
	opts, err := fl.options()
	if err != nil {
		return err
	}
	if _, err := signNow(fl.data); err != nil && !errors.Is(err, evidence.ErrEmptyLog) {
		fmt.Fprintf(cmd.ErrOrStderr(), "telltale: note: could not sign a checkpoint first (%v); the report shows the latest signed one\n", err)
	}
	r, err := fl.build(opts, since, until)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		return err
	}
	if err := writeFileAtomic(fl.out, b.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d captures, %d endpoints, %d figures%s\n", fl.out, r.Captures, len(r.Endpoints), len(r.Figures), reconciled(r))
	return nil
}

// build reads the store (a snapshot while serve runs) and analyses it
// with the config's rules.
func (fl reportFlags) build(opts report.Options, since, until time.Time) (*report.Report, error) {
	st, closeLog, err := openLog(fl.data)
	if err != nil {
		return nil, err
	}
	defer closeLog()
	cfg, err := loadConfig(fl.config)
	if err != nil {
		return nil, err
	}
	a, err := analysis.New(st, server.AnalysisOptions(cfg.Inspect, zerolog.Nop()))
	if err != nil {
		return nil, err
	}
	defer a.Close()
	caps, err := selectCaptures(st, fl.host, since, until)
	if err != nil {
		return nil, err
	}
	opts.Templates = analysis.Templates(cfg.Inspect.Templates)
	if opts.Catalog, opts.Entitlements, err = licensesOf(cfg, fl.data); err != nil {
		return nil, err
	}
	if opts.Numbers, err = analysis.CaptureNumbers(st); err != nil {
		return nil, err
	}
	if fl.measured != "" {
		// Read once the reported licenses are known: the Historical Use
		// export names them in words.
		pts, err := a.Figures(analysis.Query{})
		if err != nil {
			return nil, err
		}
		if opts.Measured, _, err = readMeasurements(fl.measured, fl.maps, opts.Catalog, analysis.KnownLicenses(pts)); err != nil {
			return nil, err
		}
	}
	opts.Checkpoint, opts.Verify = storeCheckpoint(st, fl)
	return report.Build(a, caps, opts)
}

// options are the report options the flags set (measurement, scope).
func (fl reportFlags) options() (report.Options, error) {
	o := report.Options{Tool: server.ToolVersion(), Scope: fl.scope()}
	if fl.measured == "" {
		return o, nil
	}
	tol, err := analysis.ParseTolerance(fl.tolerance)
	if err != nil {
		return o, usage(err)
	}
	if _, err := os.Stat(fl.measured); err != nil {
		return o, usage(fmt.Errorf("--measured: %w", err))
	}
	o.MeasuredName, o.Tolerance = filepath.Base(fl.measured), tol
	return o, nil
}

// scope says the selection in words.
func (fl reportFlags) scope() string {
	var parts []string
	if fl.host != "" {
		parts = append(parts, "host "+fl.host)
	}
	if fl.times.since != "" {
		parts = append(parts, "captured from "+fl.times.since)
	}
	if fl.times.until != "" {
		parts = append(parts, "captured before "+fl.times.until)
	}
	if len(parts) == 0 {
		return "all captures"
	}
	return "captures of " + strings.Join(parts, ", ")
}

// selectCaptures lists the captures in the time range whose host matches.
func selectCaptures(st *store.Store, host string, since, until time.Time) ([]store.Capture, error) {
	caps, err := st.List(store.Query{Since: since, Until: until})
	if err != nil || host == "" {
		return caps, err
	}
	host = strings.ToLower(host)
	var out []store.Capture
	for _, c := range caps {
		if admin.MatchHost(host, strings.ToLower(c.Host)) {
			out = append(out, c)
		}
	}
	return out, nil
}

func reconciled(r *report.Report) string {
	if r.Reconciliation == nil {
		return ""
	}
	return fmt.Sprintf(", %d mismatches with %s", len(r.Reconciliation.Mismatches), r.MeasuredName)
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it into place, so that a failure leaves no partial file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".telltale-*")
	if err != nil {
		return usage(fmt.Errorf("-o %s: %w", path, err))
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	return err
}
