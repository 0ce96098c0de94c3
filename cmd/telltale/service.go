package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/server"
)

// The Windows service: `telltale service install|uninstall|start|stop`
// (service_windows.go talks to the service manager; elsewhere
// service_other.go says to use systemd). The service manager starts
// `telltale service run`, which runs the same Server as serve and stops it
// gracefully on the SCM's stop. What does not need Windows lives here, so
// that it is tested on every platform.

// serviceName is the Windows service's name (sc query Telltale).
const serviceName = "Telltale"

// serviceStopWait is how long stop waits for the service to stop: serve
// needs up to 10s to drain and then signs a last checkpoint.
const serviceStopWait = 30 * time.Second

func newServiceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Install and control Telltale as a Windows service (Linux: use configs/telltale.service)",
	}
	var file, data string
	install := &cobra.Command{
		Use:   "install",
		Short: "Register the Telltale service (automatic start, restart on failure); run as Administrator",
		RunE: func(cmd *cobra.Command, _ []string) error {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			spec, err := newServiceSpec(exe, file, data)
			if err != nil {
				return err
			}
			cfg, err := serviceConfig(file, data, os.Getenv)
			if err != nil {
				return err
			}
			spec.DataDir = cfg.DataDir // where install restricts access
			if err := installService(spec); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "installed the %s service: %s\nstart it with `telltale service start`; data in %s\n",
				spec.Name, spec.commandLine(), spec.DataDir)
			return nil
		},
	}
	install.Flags().StringVarP(&file, "config", "c", "", "config file for the service (default: %ProgramData%\\Telltale\\telltale.yaml if present, else the embedded default)")
	install.Flags().StringVar(&data, "data", "", "data dir (default: %ProgramData%\\Telltale)")
	control := func(use, short string, do func(string) error, done string) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, RunE: func(cmd *cobra.Command, _ []string) error {
			if err := do(serviceName); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", serviceName, done)
			return nil
		}}
	}
	var runFile, runData string
	run := &cobra.Command{
		Use:    "run",
		Short:  "Run as the service (the service manager starts this)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host := &serviceHost{load: func() (*configs.Config, error) { return serviceConfig(runFile, runData, os.Getenv) }}
			return runService(serviceName, host)
		},
	}
	run.Flags().StringVarP(&runFile, "config", "c", "", "config file")
	run.Flags().StringVar(&runData, "data", "", "data dir")
	cmd.AddCommand(install,
		control("uninstall", "Stop and remove the Telltale service (the data dir stays)", uninstallService, "service removed"),
		control("start", "Start the Telltale service", startService, "started"),
		control("stop", "Stop the Telltale service gracefully", stopService, "stopped"),
		run)
	return cmd
}

// serviceSpec is what install registers.
type serviceSpec struct {
	Name, DisplayName, Description string
	Exe                            string
	Args                           []string
	DataDir                        string
}

// newServiceSpec makes the service's command line: `telltale service run`
// with absolute -c and --data, since a service starts in System32.
func newServiceSpec(exe, file, data string) (serviceSpec, error) {
	s := serviceSpec{
		Name:        serviceName,
		DisplayName: "Telltale outbound telemetry proxy",
		Description: "Records, tamper-evidently, what this machine's Citrix License Server sends to Citrix, before forwarding it unchanged.",
		Exe:         exe,
		Args:        []string{"service", "run"},
		DataDir:     data,
	}
	for _, p := range []struct{ flag, v string }{{"--config", file}, {"--data", data}} {
		if p.v == "" {
			continue
		}
		abs, err := filepath.Abs(p.v)
		if err != nil {
			return s, usage(fmt.Errorf("%s: %w", p.flag, err))
		}
		s.Args = append(s.Args, p.flag, abs)
		if p.flag == "--data" {
			s.DataDir = abs
		}
	}
	if s.DataDir == "" {
		s.DataDir = serviceHome(os.Getenv)
	}
	return s, nil
}

func (s serviceSpec) commandLine() string {
	line := fmt.Sprintf("%q", s.Exe)
	for _, a := range s.Args {
		line += " " + fmt.Sprintf("%q", a)
	}
	return line
}

// serviceHome is %ProgramData%\Telltale.
func serviceHome(getenv func(string) string) string {
	pd := getenv("ProgramData")
	if pd == "" {
		pd = `C:\ProgramData`
	}
	return filepath.Join(pd, "Telltale")
}

// serviceConfig is the service's configuration: -c, else
// %ProgramData%\Telltale\telltale.yaml when it exists, else the embedded
// default; a relative default data_dir becomes %ProgramData%\Telltale (a
// service starts in System32) and the log goes to
// %ProgramData%\Telltale\logs\telltale.log unless log.file says otherwise.
func serviceConfig(file, data string, getenv func(string) string) (*configs.Config, error) {
	home := serviceHome(getenv)
	if file == "" {
		if _, err := os.Stat(filepath.Join(home, "telltale.yaml")); err == nil {
			file = filepath.Join(home, "telltale.yaml")
		}
	}
	cfg, err := loadConfig(file)
	if err != nil {
		return nil, err
	}
	override(&cfg.DataDir, data)
	if !filepath.IsAbs(cfg.DataDir) {
		cfg.DataDir = home
	}
	if cfg.Log.File == "" {
		cfg.Log.File = filepath.Join(home, "logs", "telltale.log")
	}
	if err := cfg.Validate(); err != nil {
		return nil, usage(err)
	}
	return cfg, nil
}

// Service manager requests and states, as serviceLoop sees them; the
// Windows side translates them to and from golang.org/x/sys/windows/svc.
type svcControl int

const (
	ctlStop svcControl = iota
	ctlShutdown
	ctlInterrogate
	ctlReload // SERVICE_CONTROL_PARAMCHANGE: `sc control Telltale paramchange`
)

type svcState int

const (
	stateStartPending svcState = iota
	stateRunning
	stateStopPending
	stateStopped
)

// serviceHost runs serve for the service and reloads it on request.
type serviceHost struct {
	load func() (*configs.Config, error)

	mu  sync.Mutex
	srv *server.Server // nil until started
	log zerolog.Logger // the service's log, once started
}

// run starts serve, calls ready once it listens, and serves until ctx ends.
func (h *serviceHost) run(ctx context.Context, ready func()) error {
	cfg, err := h.load()
	if err != nil {
		return err
	}
	log, closeLog, err := server.OpenLogger(os.Stderr, cfg.Log)
	if err != nil {
		return err
	}
	defer closeLog()
	s, err := server.New(cfg, server.Options{Logger: log, Source: h.load})
	if err != nil {
		log.Error().Err(err).Msg("telltale service could not start")
		return err
	}
	defer s.Close()
	h.mu.Lock()
	h.srv, h.log = s, log
	h.mu.Unlock()
	ready()
	return s.Run(ctx)
}

func (h *serviceHost) reload() {
	h.mu.Lock()
	s, log := h.srv, h.log
	h.mu.Unlock()
	if s == nil {
		return
	}
	if _, err := s.ReloadFromSource(); err != nil {
		log.Error().Err(err).Msg("configuration not reloaded; the previous one stays in force")
	}
}

// serviceLoop runs the service: it reports start pending, runs serve,
// reports running once serve listens, and on stop or shutdown cancels it
// and waits for it to drain before reporting stopped. It returns the exit
// code for the service manager: 0 after a requested stop, 1 when serve
// failed or ended on its own.
func serviceLoop(run func(ctx context.Context, ready func()) error, reload func(), controls <-chan svcControl, report func(svcState)) uint32 {
	report(stateStartPending)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, func() { close(ready) }) }()
	state := stateStartPending
	for {
		select {
		case <-ready:
			ready, state = nil, stateRunning
			report(state)
		case <-errc: // serve failed to start, or stopped on its own
			report(stateStopped)
			return 1
		case c := <-controls:
			switch c {
			case ctlStop, ctlShutdown:
				report(stateStopPending)
				cancel()
				err := <-errc
				report(stateStopped)
				if err != nil {
					return 1
				}
				return 0
			case ctlReload:
				reload()
			}
			report(state) // also the answer to interrogate
		}
	}
}
