package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/configs"
)

// Check outcomes, in the order of severity.
const (
	checkOK   = "ok"
	checkWarn = "warn"
	checkFail = "fail"
)

// errChecksFailed makes doctor exit 1 once it has printed its lines.
var errChecksFailed = errors.New("doctor: some checks failed (the fail lines above say what to do)")

// doctor checks a deployment the way a new operator would, one line per
// check. A fail means Telltale will not work as configured; a warn is worth
// a look but does not stop it.
type doctor struct {
	out     io.Writer
	cfg     *configs.Config
	file    string // -c, "" for the embedded default
	demo    bool   // file is DATA/demo.yaml, written by `telltale demo`
	timeout time.Duration
	now     func() time.Time
	failed  bool
}

func newDoctorCmd() *cobra.Command {
	var file, data string
	var timeout time.Duration
	var testAlert bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the deployment: config, ports, CA, store, clock, the path to Citrix, CA trust, alerts, TSA",
		Long: `doctor runs the checks a new operator would want, one line each: ok, warn or
fail. It exits 1 when any check fails, 0 otherwise (warnings alone pass).
It works whether or not serve is running: ports and the store held by the
running serve are reported as such, and its /readyz is asked.

The upstream check resolves each intercepted host (exact names; *.suffix
patterns have no name to try) and opens TLS to it the way serve does
(upstream.resolve, upstream.proxy, upstream.no_proxy, the system roots plus
upstream.ca_file). With --alert it also sends a test alert to
alerts.webhook. With evidence.tsa_url it asks that TSA for a test timestamp.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := &doctor{out: cmd.OutOrStdout(), file: file, timeout: timeout, now: time.Now}
			if !d.loadConfig(data) {
				return errChecksFailed
			}
			d.checkPorts()
			d.checkClients()
			ca := d.checkCA()
			d.checkClock(ca)
			d.checkStore()
			d.checkDisk()
			d.checkUpstreams()
			d.checkTrust(ca)
			d.checkAlerts(testAlert)
			d.checkAnchors()
			if d.failed {
				return errChecksFailed
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "config", "c", "", "config file (YAML); default: the embedded Citrix LAS profile")
	f.StringVar(&data, "data", "", "data dir (overrides data_dir)")
	f.DurationVar(&timeout, "timeout", 5*time.Second, "per upstream host: DNS, connect and TLS handshake")
	f.BoolVar(&testAlert, "alert", false, "send a test alert to alerts.webhook")
	return cmd
}

// line prints one check's result.
func (d *doctor) line(status, check, format string, args ...any) {
	if status == checkFail {
		d.failed = true
	}
	fmt.Fprintf(d.out, "%-4s  %-9s %s\n", status, check, fmt.Sprintf(format, args...))
}

func (d *doctor) loadConfig(data string) bool {
	if d.file == "" && data != "" {
		// A demo's data dir: check the demo as it runs (its ports, its
		// simulated upstream), not the embedded default.
		if demo := filepath.Join(data, demoConfigFile); fileExists(demo) {
			d.file, d.demo = demo, true
		}
	}
	name := d.file
	if name == "" {
		name = "the embedded default configuration"
	}
	cfg, err := loadConfig(d.file)
	if err == nil {
		override(&cfg.DataDir, data)
		err = cfg.Validate()
	}
	if err != nil {
		d.line(checkFail, "config", "%v", err)
		return false
	}
	d.cfg = cfg
	abs, _ := filepath.Abs(cfg.DataDir)
	if d.demo {
		name += " (written by `telltale demo`)"
	}
	d.line(checkOK, "config", "%s is valid; data dir %s", name, abs)
	return true
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
