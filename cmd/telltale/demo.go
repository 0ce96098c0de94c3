package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
	"github.com/telltale/telltale/testbed"
)

func newDemoCmd() *cobra.Command {
	var data string
	var days int
	var seed int64
	var exit, estate bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run Telltale against a simulated Citrix cloud and License Server, with no network",
		Long: `demo starts a simulated Citrix License Activation Service on loopback, runs
serve in front of it, drives --days days of License Server traffic (token,
activation renewal, compliance telemetry, usage bundles, Call Home, CEIP)
through the proxy, prints what to look at, and keeps serving until Ctrl-C.
Everything the simulator does beyond Citrix's public documents is invented
(see testbed/README.md).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < 1 || days > 3650 {
				return usage(fmt.Errorf("--days must be from 1 to 3650"))
			}
			o := demoOptions{data: data, days: days, seed: seed, exit: exit}
			if estate { // demo_estate.go
				return runDemoEstate(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
			}
			return runDemo(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "./telltale-demo", "data dir for the demo's store and CA (kept apart from serve's)")
	f.IntVar(&days, "days", 30, "simulated days of traffic")
	f.Int64Var(&seed, "seed", 1, "seed of the simulated site (same seed, same traffic)")
	f.BoolVar(&exit, "exit", false, "stop after the drive instead of serving until Ctrl-C")
	f.BoolVar(&estate, "estate", false, "two license servers archived to a local S3 server with Object Lock (versitygw) and reviewed together")
	return cmd
}

type demoOptions struct {
	data string
	days int
	seed int64
	exit bool
}

func runDemo(ctx context.Context, out, logw io.Writer, o demoOptions) error {
	las, err := testbed.NewLAS(testbed.LASOptions{Seed: o.seed})
	if err != nil {
		return fmt.Errorf("start simulated LAS: %w", err)
	}
	las.Start()
	defer las.Close()
	cfg, err := demoConfig(o.data, las)
	if err != nil {
		return err
	}
	tsa, err := demoTSA(cfg)
	if err != nil {
		return err
	}
	defer tsa.Close() // after the server, which timestamps its shutdown checkpoint
	s, closeServer, err := newDemoServer(cfg, logw)
	if err != nil {
		return err
	}
	defer closeServer()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- s.Run(runCtx) }()

	fmt.Fprintf(out, "Simulated Citrix cloud on %s; Telltale proxy on %s; data in %s\n", las.Addr(), s.ProxyAddr(), cfg.DataDir)
	start := time.Now()
	rep, err := demoDrive(ctx, s, o)
	if err != nil {
		stop()
		return errors.Join(fmt.Errorf("demo drive: %w", err), <-served)
	}
	fmt.Fprintf(out, "Drove %d simulated days (%d requests) through the proxy in %s.\n\n", o.days, len(rep.Sent), time.Since(start).Round(time.Millisecond))
	// The site's own count, as the Licensing Manager would export it, to
	// try reconcile on.
	if err := os.WriteFile(filepath.Join(cfg.DataDir, demoHistoricalFile), testbed.HistoricalUse(rep, nil), 0o644); err != nil {
		fmt.Fprintf(logw, "demo: %v\n", err)
	}
	if err := demoSettle(ctx, s, cfg); err != nil {
		stop()
		return errors.Join(err, <-served)
	}
	printDemoGuide(out, s, cfg, o)
	if o.exit {
		stop()
	}
	return <-served
}

// newDemoServer is serve with the demo's config, logging to DATA/demo.log.
func newDemoServer(cfg *configs.Config, logw io.Writer) (*server.Server, func(), error) {
	log, closeLog, err := demoLogger(cfg.DataDir, logw)
	if err != nil {
		return nil, nil, err
	}
	s, err := server.New(cfg, server.Options{Logger: log})
	if err != nil {
		closeLog()
		return nil, nil, err
	}
	return s, func() { s.Close(); closeLog() }, nil
}

// demoConfig is the embedded default with the demo's data dir, ports
// chosen by the system, and the simulator's hosts and CA.
func demoConfig(dir string, las *testbed.LAS) (*configs.Config, error) {
	cfg, err := configs.Parse(nil)
	if err != nil {
		return nil, err
	}
	cfg.DataDir = dir
	cfg.Listen = "127.0.0.1:0"
	cfg.Admin.Listen = "127.0.0.1:0"
	cfg.Upstream.Resolve = las.Resolve()
	cfg.Upstream.AllowLocal = []string{las.Addr()} // the simulator runs on loopback
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo data dir: %w", err)
	}
	cfg.Upstream.CAFile = filepath.Join(dir, "simulator-ca.pem")
	if err := os.WriteFile(cfg.Upstream.CAFile, las.CAPEM(), 0o644); err != nil {
		return nil, fmt.Errorf("write simulator CA: %w", err)
	}
	return cfg, cfg.Validate()
}

// In the demo's data dir: the simulated TSA's root (for verify --tsa-ca)
// and its whole identity, key included, so that every demo run on the
// same dir has the same TSA and earlier timestamps still verify.
const (
	demoTSAFile     = "simulated-tsa-ca.pem"
	demoTSAIdentity = "simulated-tsa-identity.pem"
)

// demoTSA starts the simulated TSA (testbed/README.md) and has the demo's
// checkpoints timestamped by it; close it after the server.
func demoTSA(cfg *configs.Config) (*testbed.TSA, error) {
	idFile := filepath.Join(cfg.DataDir, demoTSAIdentity)
	id, err := os.ReadFile(idFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("simulated TSA: %w", err)
	}
	tsa, err := testbed.NewTSA(testbed.TSAOptions{Identity: id})
	if err != nil {
		return nil, fmt.Errorf("start simulated TSA: %w", err)
	}
	if id == nil {
		if err := os.WriteFile(idFile, tsa.Identity(), 0o600); err != nil {
			tsa.Close()
			return nil, fmt.Errorf("simulated TSA: %w", err)
		}
	}
	cfg.Evidence.TSAURL = tsa.URL()
	cfg.Upstream.AllowLocal = append(cfg.Upstream.AllowLocal, hostOf(tsa.URL())) // on loopback too
	cfg.Evidence.TSACAFile = filepath.Join(cfg.DataDir, demoTSAFile)
	if err := os.WriteFile(cfg.Evidence.TSACAFile, tsa.RootPEM(), 0o644); err != nil {
		tsa.Close()
		return nil, fmt.Errorf("write simulated TSA root: %w", err)
	}
	tsa.Start()
	return tsa, nil
}

// demoDrive runs the simulated License Server through the proxy.
func demoDrive(ctx context.Context, s *server.Server, o demoOptions) (testbed.Report, error) {
	pool := x509.NewCertPool()
	pool.AddCert(s.CA.Certificate())
	c := &testbed.Client{
		ProxyURL: &url.URL{Scheme: "http", Host: s.ProxyAddr()},
		RootCAs:  pool,
		Seed:     o.seed,
	}
	return c.Run(ctx, o.days)
}

// demoSettle waits for the analysis of everything driven, so that no log
// line or drift comes after the guide, and writes DATA/demo.yaml.
func demoSettle(ctx context.Context, s *server.Server, cfg *configs.Config) error {
	// Minutes, not seconds: on a loaded disk (and under Wine, whose
	// server does every flush) the indexer can stall a while.
	fctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := s.FlushAnalysis(fctx); err != nil {
		return fmt.Errorf("demo: wait for the analysis: %w", err)
	}
	return writeDemoConfig(cfg, s.ProxyAddr(), s.AdminAddr())
}

// printDemoGuide says what to look at next, with commands that work as
// printed. It is the last thing the demo prints.
func printDemoGuide(w io.Writer, s *server.Server, cfg *configs.Config, o demoOptions) {
	dir, exit := cfg.DataDir, o.exit
	caps, _ := s.Store.List(store.Query{})
	compliance := ""
	nums, _ := analysis.CaptureNumbers(s.Store)
	n := 0
	for _, c := range caps {
		if strings.Contains(c.URL, "LicenseServerCompliance") {
			n++
			if k := nums.Number(c.ID); n == testbed.NewFeatureDay && k > 0 {
				compliance = strconv.Itoa(k) // its number, as list and the review UI show it
			}
		}
	}
	bin := "go run ./cmd/telltale"
	fmt.Fprintf(w, "Telltale recorded %d captures. Look at them (in another terminal, while this runs):\n", len(caps))
	fmt.Fprintf(w, "  %s position --data %s                   # your license position: %s\n", bin, dir, demoPositionHint(s, cfg))
	if _, err := os.Stat(filepath.Join(dir, demoHistoricalFile)); err == nil {
		fmt.Fprintf(w, "  %s reconcile --measured %s --data %s   # the site's Historical Use export against what was sent\n",
			bin, filepath.Join(dir, demoHistoricalFile), dir)
	}
	fmt.Fprintf(w, "  %s list --data %s                       # every capture, by number (NO)\n", bin, dir)
	fmt.Fprintf(w, "  %s personal --data %s                   # the personal data sent: people, devices, names in clear\n", bin, dir)
	if compliance != "" {
		fmt.Fprintf(w, "  %s show %s --data %s              # day %d's compliance upload, capture no. %s\n", bin, compliance, dir, testbed.NewFeatureDay, compliance)
		fmt.Fprintf(w, "  %s show %s --data %s --body request | gunzip   # exactly what was sent\n", bin, compliance, dir)
		fmt.Fprintf(w, "  %s diff %s --data %s              # what changed since the day before: a new feature\n", bin, compliance, dir)
	}
	upgrade := ""
	if o.days >= testbed.UpgradeDay {
		upgrade = fmt.Sprintf(" (day %d adds %s)", testbed.UpgradeDay, testbed.UpgradeField)
	}
	fmt.Fprintf(w, "  %s drift --data %s                      # new endpoints and fields%s\n", bin, dir, upgrade)
	fmt.Fprintf(w, "  %s figures --name '*.CountUsedMax' --data %s   # the license counts reported, day by day\n", bin, dir)
	fmt.Fprintf(w, "  %s export -o demo-evidence.zip --data %s   # an evidence bundle, secrets withheld\n", bin, dir)
	fmt.Fprintf(w, "  %s verify demo-evidence.zip --key %s --tsa-ca %s   # what a third party runs on it, offline, with the key you gave them\n",
		bin, filepath.Join(dir, "ca", "log.pub"), filepath.Join(dir, demoTSAFile))
	fmt.Fprintf(w, "  %s report -o demo-report.html --data %s   # the vendor hand-over report, printable\n", bin, dir)
	fmt.Fprintf(w, "  %s doctor --data %s                     # checks the demo's setup (%s)\n", bin, dir, demoConfigFile)
	fmt.Fprintf(w, "The demo's log is in %s.\n", filepath.Join(dir, demoLogFile))
	if exit {
		fmt.Fprintf(w, "Stopped (--exit); the data stays in %s.\n", dir)
		return
	}
	if link, err := demoLoginLink(dir); err == nil {
		fmt.Fprintf(w, "\nReview UI (this link works once, for two minutes; `%s ui --data %s` prints a fresh one):\n  %s\n", bin, dir, link)
	} else {
		fmt.Fprintf(w, "\nReview UI: `%s ui --data %s` prints a login link (%v)\n", bin, dir, err)
	}
	fmt.Fprintf(w, "\nServing until Ctrl-C.\n")
}

// demoPositionHint says in a line what the position shows of the demo's
// captures, as telltale position computes it: which license went over
// installed and on which usage days, which is mostly dormant.
func demoPositionHint(s *server.Server, cfg *configs.Config) string {
	pts, err := s.Figures(analysis.Query{})
	if err != nil {
		return "see for yourself (" + err.Error() + ")"
	}
	cat, ents, err := licensesOf(cfg, cfg.DataDir)
	if err != nil {
		return "see for yourself (" + err.Error() + ")"
	}
	pos := analysis.ComputePosition(pts, analysis.PositionOptions{Catalog: cat, Entitlements: ents,
		Names: analysis.NewNames(server.AnalysisOptions(cfg.Inspect, zerolog.Nop()).Rules)})
	var over, dormant []string
	for _, l := range pos.Licenses {
		switch o := l.Overuse; l.Status {
		case analysis.StatusOver:
			days := "on usage day " + o.First
			if o.Last != o.First {
				days = fmt.Sprintf("on usage days %s to %s", o.First, o.Last)
			}
			over = append(over, fmt.Sprintf("%s over installed %s, by up to %s", l.Code, days, formatValue(o.Highest)))
		case analysis.StatusDormant:
			dormant = append(dormant, l.Code)
		}
	}
	switch {
	case len(pos.Licenses) == 0:
		return "no license reported yet"
	case len(over) == 0:
		over = []string{"no license over installed"}
	}
	if len(dormant) > 0 {
		over = append(over, strings.Join(dormant, ", ")+" mostly dormant")
	}
	return strings.Join(over, "; ")
}

// demoHistoricalFile is the simulated site's Historical Use export, in
// the data dir.
const demoHistoricalFile = "historical-use.csv"

// demoLoginLink asks the demo's own server for a one-time UI login link,
// as `telltale ui` does.
func demoLoginLink(dir string) (string, error) {
	c, info, err := runningAdmin(dir)
	if err != nil {
		return "", err
	}
	path, _, err := c.LoginLink()
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(info.URL, "/") + path, nil
}
