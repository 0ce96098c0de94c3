package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/server"
)

// firstPrune is server.Options.FirstPrune for serve: 0, the server's
// default, except in tests.
var firstPrune time.Duration

func newServeCmd() *cobra.Command {
	var file, data, listen, adminAddr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the proxy (with no config: the built-in Citrix LAS profile on 127.0.0.1:8080)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			tuneGC()
			load := func() (*configs.Config, error) { return serveConfig(file, data, listen, adminAddr) }
			cfg, err := load()
			if err != nil {
				return err
			}
			log, closeLog, err := server.OpenLogger(cmd.ErrOrStderr(), cfg.Log)
			if err != nil {
				return err
			}
			defer closeLog()
			// load again on SIGHUP and POST /-/reload
			s, err := server.New(cfg, server.Options{Logger: log, Source: load, FirstPrune: firstPrune})
			if err != nil {
				return err
			}
			defer s.Close()
			defer s.WatchReload()()
			printTrust(cmd.OutOrStdout(), s)
			return s.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "config", "c", "", "config file (YAML); default: the embedded Citrix LAS profile")
	f.StringVar(&data, "data", "", "data dir (overrides data_dir)")
	f.StringVar(&listen, "listen", "", "proxy address (overrides listen)")
	f.StringVar(&adminAddr, "admin", "", "admin API address (overrides admin.listen)")
	return cmd
}

// serveConfig is serve's configuration: the file (or the embedded
// default) with the flags on top.
func serveConfig(file, data, listen, adminAddr string) (*configs.Config, error) {
	cfg, err := loadConfig(file)
	if err != nil {
		return nil, err
	}
	override(&cfg.DataDir, data)
	override(&cfg.Listen, listen)
	override(&cfg.Admin.Listen, adminAddr)
	if err := cfg.Validate(); err != nil {
		return nil, usage(fmt.Errorf("flags: %w", err))
	}
	return cfg, nil
}

func override(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// printTrust tells the user where the CA is and how to trust it.
func printTrust(w io.Writer, s *server.Server) {
	cfg := s.Config()
	caPath := filepath.Join(cfg.DataDir, "ca", "ca.pem")
	if s.CACreated {
		fmt.Fprintf(w, "Created the Telltale interception CA: %s\n", caPath)
		fmt.Fprintf(w, "It can only vouch for: %v\n", cfg.Intercept.Hosts)
	} else {
		fmt.Fprintf(w, "Telltale interception CA: %s\n", caPath)
	}
	fmt.Fprintf(w, "Trust it on the license server (Windows, as administrator):\n")
	fmt.Fprintf(w, "  telltale ca export --der -o telltale-ca.cer --data %s\n", cfg.DataDir)
	fmt.Fprintf(w, "  certutil -addstore Root telltale-ca.cer\n")
	fmt.Fprintf(w, "Or try it with curl:\n")
	fmt.Fprintf(w, "  curl --proxy http://%s --cacert %s https://las.cloud.com/\n", s.ProxyAddr(), caPath)
	fmt.Fprintf(w, "Proxy on %s, admin API on %s, data in %s\n", s.ProxyAddr(), s.AdminAddr(), cfg.DataDir)
}

// serveGCPercent is serve's GOGC unless the environment sets one: the
// capture path allocates per exchange while the live heap stays small (tens
// of MiB), so collecting at 3x the live heap rather than 2x costs a few MiB
// and saves about a tenth of the CPU under load (docs/bench/results.md).
const serveGCPercent = 200

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}
