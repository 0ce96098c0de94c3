package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
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
			asService, listen := false, ""
			if file == "" && !o.Demo {
				src := findServiceSource(serviceCommandLine, runtime.GOOS == "windows")
				o.ConfigFile, o.From, asService, listen = src.file, src.from, src.service, src.listen
				if data == "" {
					data = src.data
				}
			}
			o.Load = func() (*configs.Config, error) {
				if asService { // the service's rules: relative data_dir, default log file
					cfg, err := serviceConfig(o.ConfigFile, data, os.Getenv)
					if err != nil {
						return nil, err
					}
					return cfg, overrideListen(cfg, listen)
				}
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
	f.StringVarP(&file, "config", "c", "", "config file (YAML); default: the installed Telltale service's (Windows), else the embedded Citrix LAS profile")
	f.StringVar(&data, "data", "", "data dir (overrides data_dir)")
	f.DurationVar(&timeout, "timeout", 5*time.Second, "per upstream host: DNS, connect and TLS handshake")
	f.BoolVar(&testAlert, "alert", false, "send a test alert to alerts.webhook")
	return cmd
}

// serviceCommandLine reads the installed service's command line (a
// variable, so that tests can install one).
var serviceCommandLine = installedServiceCommandLine

// serviceSource is the configuration doctor checks without -c.
type serviceSource struct {
	file, data string // --config and --data, "" when absent
	listen     string // --listen (the MSI's LISTEN), "" when absent
	from       string // for the config line
	service    bool   // read with the service's rules (serviceConfig)
}

// findServiceSource finds the configuration the service uses, so that
// doctor checks what runs rather than the embedded default: the installed
// service's --config and --data, from the command line the service manager
// starts (commandLine); else, on Windows, the service's own default lookup
// (%ProgramData%\Telltale\telltale.yaml, else the embedded default, with
// data in %ProgramData%\Telltale); else the embedded default.
func findServiceSource(commandLine func() (string, error), windows bool) serviceSource {
	if line, err := commandLine(); err == nil {
		src := serviceSource{from: "the installed Telltale service's, from its command line", service: true}
		args := splitCommandLine(line)
		for i := 0; i+1 < len(args); i++ {
			switch args[i] {
			case "--config", "-c":
				src.file = args[i+1]
			case "--data":
				src.data = args[i+1]
			case "--listen":
				src.listen = args[i+1]
			}
		}
		if src.file == "" {
			src.from = "the installed Telltale service's default, its command line naming no --config"
		}
		return src
	}
	if windows {
		return serviceSource{from: "the Telltale service's default lookup; the service is not installed", service: true}
	}
	return serviceSource{}
}

// splitCommandLine splits a Windows command line as CommandLineToArgvW
// does: spaces separate arguments outside double quotes; 2n backslashes
// before a quote are n backslashes and the quote opens or closes, 2n+1 are
// n backslashes and a literal quote; other backslashes are literal.
func splitCommandLine(s string) []string {
	var args []string
	var b strings.Builder
	inQuote, started := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			n := 0
			for i < len(s) && s[i] == '\\' {
				n++
				i++
			}
			if i < len(s) && s[i] == '"' {
				b.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					b.WriteByte('"')
				} else {
					inQuote = !inQuote
				}
			} else {
				b.WriteString(strings.Repeat(`\`, n))
				i--
			}
			started = true
		case c == '"':
			inQuote, started = !inQuote, true
		case (c == ' ' || c == '\t') && !inQuote:
			if started {
				args = append(args, b.String())
				b.Reset()
				started = false
			}
		default:
			b.WriteByte(c)
			started = true
		}
	}
	if started {
		args = append(args, b.String())
	}
	return args
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
