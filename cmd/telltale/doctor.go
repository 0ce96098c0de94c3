package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/doctor"
)

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
			o := doctor.Options{Out: cmd.OutOrStdout(), ConfigFile: file, Timeout: timeout, SendAlert: testAlert}
			if file == "" && data != "" {
				// A demo's data dir: check the demo as it runs (its ports, its
				// simulated upstream), not the embedded default.
				if demo := filepath.Join(data, demoConfigFile); fileExists(demo) {
					o.ConfigFile, o.Demo = demo, true
				}
			}
			o.Load = func() (*configs.Config, error) {
				cfg, err := loadConfig(o.ConfigFile)
				if err != nil {
					return nil, err
				}
				override(&cfg.DataDir, data)
				return cfg, cfg.Validate()
			}
			return doctor.Run(o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "config", "c", "", "config file (YAML); default: the embedded Citrix LAS profile")
	f.StringVar(&data, "data", "", "data dir (overrides data_dir)")
	f.DurationVar(&timeout, "timeout", 5*time.Second, "per upstream host: DNS, connect and TLS handshake")
	f.BoolVar(&testAlert, "alert", false, "send a test alert to alerts.webhook")
	return cmd
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
