package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/configs"
)

// The Windows service: `telltale service install|uninstall|start|stop`
// (service_windows.go talks to the service manager; elsewhere
// service_other.go says to use systemd). The service manager starts
// `telltale service run`, which runs the same Server as serve and stops it
// gracefully on the SCM's stop. What does not need Windows lives here and
// in service_loop.go (the service's states, exit codes and event IDs), so
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
			spec, err := loadServiceSpec(file, data)
			if err != nil {
				return err
			}
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
	var runFile, runData, runListen string
	run := &cobra.Command{
		Use:    "run",
		Short:  "Run as the service (the service manager starts this)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host := &serviceHost{load: func() (*configs.Config, error) {
				cfg, err := checkedServiceConfig(runFile, runData)
				if err != nil {
					return nil, err
				}
				return cfg, overrideListen(cfg, runListen)
			}}
			return runService(serviceName, host)
		},
	}
	run.Flags().StringVarP(&runFile, "config", "c", "", "config file")
	run.Flags().StringVar(&runData, "data", "", "data dir")
	run.Flags().StringVar(&runListen, "listen", "", "proxy address (overrides listen; the MSI's LISTEN)")
	cmd.AddCommand(install, newServiceConfigureCmd(),
		control("uninstall", "Stop and remove the Telltale service (the data dir stays)", uninstallService, "service removed"),
		control("start", "Start the Telltale service", startService, "started"),
		control("stop", "Stop the Telltale service gracefully", stopService, "stopped"),
		run)
	return cmd
}

// newServiceConfigureCmd is install's work but registering the service:
// the MSI (packaging/msi) registers it with Windows Installer's own
// tables, which wixl cannot give folder access lists or recovery actions,
// so its deferred custom action runs this as LocalSystem before the
// service starts.
func newServiceConfigureCmd() *cobra.Command {
	var file, data string
	cmd := &cobra.Command{
		Use:   "configure",
		Short: "Lock down the installed service's folders and set its recovery actions (the MSI runs this); run as Administrator",
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, err := loadServiceSpec(file, data)
			if err != nil {
				return err
			}
			if err := configureService(spec); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "configured the %s service: %s locked down, restart on failure set\n", spec.Name, spec.DataDir)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "the service's config file (default: %ProgramData%\\Telltale\\telltale.yaml if present, else the embedded default)")
	cmd.Flags().StringVar(&data, "data", "", "the service's data dir (default: %ProgramData%\\Telltale)")
	return cmd
}

// loadServiceSpec is the service that install registers, or configure
// finishes, for this program with -c file and --data data, with the
// configuration it will run: what they lock down and check.
func loadServiceSpec(file, data string) (serviceSpec, error) {
	exe, err := os.Executable()
	if err != nil {
		return serviceSpec{}, err
	}
	spec, err := newServiceSpec(exe, file, data)
	if err != nil {
		return spec, err
	}
	cfg, err := serviceConfig(spec.ConfigFile, data, os.Getenv)
	if err != nil {
		return spec, err
	}
	spec.Config, spec.DataDir = cfg, cfg.DataDir
	return spec, nil
}

// overrideListen applies `service run --listen` over the config's listen.
func overrideListen(cfg *configs.Config, listen string) error {
	if listen == "" {
		return nil
	}
	cfg.Listen = listen
	if err := cfg.Validate(); err != nil {
		return usage(fmt.Errorf("--listen: %w", err))
	}
	return nil
}

// serviceSpec is what install registers.
type serviceSpec struct {
	Name, DisplayName, Description string
	Exe                            string
	Args                           []string
	DataDir                        string
	// ConfigFile is the absolute config file the service runs with ("" for
	// the embedded default), Config what it says, and Home
	// %ProgramData%\Telltale: install locks down and checks what they name.
	ConfigFile string
	Config     *configs.Config
	Home       string
}

// newServiceSpec makes the service's command line: `telltale service run`
// with absolute -c and --data, since a service starts in System32. Without
// -c, an existing %ProgramData%\Telltale\telltale.yaml is registered, so
// that the command line (and `telltale doctor`, which reads it) names the
// file the service reads.
func newServiceSpec(exe, file, data string) (serviceSpec, error) {
	home := serviceHome(os.Getenv)
	file = serviceConfigFile(file, home)
	s := serviceSpec{
		Home:        home,
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
		} else {
			s.ConfigFile = abs
		}
	}
	if s.DataDir == "" {
		s.DataDir = home
	}
	return s, nil
}

// serviceConfigFile is the service's config file: -c, else
// %ProgramData%\Telltale\telltale.yaml when it exists, else "" (the
// embedded default).
func serviceConfigFile(file, home string) string {
	if def := filepath.Join(home, "telltale.yaml"); file == "" && fileExists(def) {
		return def
	}
	return file
}

// checkedServiceConfig is `service run`'s configuration, read at every
// start and reload: serviceConfig, once checkService (acl_windows.go) has
// found every file and folder it names out of reach of non-administrators.
func checkedServiceConfig(file, data string) (*configs.Config, error) {
	cfg, err := serviceConfig(file, data, os.Getenv)
	if err != nil {
		return nil, err
	}
	home := serviceHome(os.Getenv)
	if err := checkService(serviceConfigFile(file, home), cfg, home); err != nil {
		return nil, fmt.Errorf("the service will not run with files that non-administrators could change: %w", err)
	}
	return cfg, nil
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
	file = serviceConfigFile(file, home)
	cfg, err := parseConfig(file)
	if err != nil {
		return nil, err
	}
	if data != "" {
		data = filepath.Clean(data) // the MSI's "[DATADIR]." (a folder property ends in \, which would escape the quote)
	}
	override(&cfg.DataDir, data)
	if !filepath.IsAbs(cfg.DataDir) {
		cfg.DataDir = home // before resolvePaths, which would put it beside the file
	}
	if err := resolvePaths(cfg, file); err != nil {
		return nil, err
	}
	if cfg.Log.File == "" {
		cfg.Log.File = filepath.Join(home, "logs", "telltale.log")
	}
	if err := cfg.Validate(); err != nil {
		return nil, usage(err)
	}
	return cfg, nil
}
