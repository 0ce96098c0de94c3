//go:build windows

package main

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/telltale/telltale/alert"
)

// runService hands the process to the service manager.
// Whether it runs as a service is what StartServiceCtrlDispatcher says,
// not svc.IsWindowsService, which looks for services.exe in session 0:
// Wine runs services.exe in session 1.
func runService(name string, host *serviceHost) error {
	h := &svcHandler{host: host}
	// Without the event source (install registers it) the service still
	// runs: its log file says everything the event log would.
	if elog, err := eventlog.Open(name); err == nil {
		defer elog.Close()
		h.elog = elog
	}
	if alerts, err := alert.OpenEventLog(name); err == nil {
		defer alerts.Close()
		host.alerts = alerts
	}
	err := svc.Run(name, h)
	if errors.Is(err, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		return usage(errors.New("`telltale service run` is started by the service manager; use `telltale service start`, or `telltale serve` in a console"))
	}
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	return nil
}

type svcHandler struct {
	host *serviceHost
	elog *eventlog.Log // nil when the event source is missing
}

// Execute translates the service manager's requests for serviceLoop and
// returns its exit code, service-specific: svc.Run then reports Stopped
// with it, and a non-zero code runs the recovery actions.
func (h *svcHandler) Execute(_ []string, r <-chan svc.ChangeRequest, s chan<- svc.Status) (bool, uint32) {
	controls := make(chan svcControl)
	stop := make(chan struct{})
	defer close(stop)
	go forwardControls(r, controls, stop)
	running := false
	report := func(st svcStatus) {
		s <- winStatus(st)
		if st.State == stateRunning && !running {
			running = true
			h.event(eventStarted, alert.Info, "Telltale started: the proxy and the admin API listen.")
		}
	}
	code, err := serviceLoop{Run: h.host.run, Reload: h.host.reload, Report: report, Stopping: h.host.stopping}.serve(controls)
	h.event(serviceEvent(code, err))
	return code != 0, code
}

// forwardControls passes the requests serviceLoop knows on, until stop.
func forwardControls(r <-chan svc.ChangeRequest, controls chan<- svcControl, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case c := <-r:
			ctl, ok := controlOf(c.Cmd)
			if !ok {
				continue
			}
			select {
			case controls <- ctl:
			case <-stop:
				return
			}
		}
	}
}

// event writes one entry to the Application event log, if it can.
func (h *svcHandler) event(id uint32, severity, msg string) {
	if h.elog == nil {
		return
	}
	switch severity {
	case alert.Critical:
		h.elog.Error(id, msg)
	case alert.Warning:
		h.elog.Warning(id, msg)
	default:
		h.elog.Info(id, msg)
	}
}

func controlOf(c svc.Cmd) (svcControl, bool) {
	switch c {
	case svc.Stop:
		return ctlStop, true
	case svc.Shutdown:
		return ctlShutdown, true
	case svc.PreShutdown:
		return ctlPreShutdown, true
	case svc.Interrogate:
		return ctlInterrogate, true
	case svc.ParamChange:
		return ctlReload, true
	}
	return 0, false
}

// winStatus is st for the service manager.
func winStatus(st svcStatus) svc.Status {
	var ws svc.Status
	switch st.State {
	case stateStartPending:
		ws.State = svc.StartPending
	case stateRunning:
		ws.State = svc.Running
	case stateStopPending:
		ws.State = svc.StopPending
	}
	for _, a := range []struct {
		ours svcAccepts
		win  svc.Accepted
	}{{acceptStop, svc.AcceptStop}, {acceptShutdown, svc.AcceptShutdown},
		{acceptPreShutdown, svc.AcceptPreShutdown}, {acceptParamChange, svc.AcceptParamChange}} {
		if st.Accepts&a.ours != 0 {
			ws.Accepts |= a.win
		}
	}
	ws.CheckPoint = st.CheckPoint
	ws.WaitHint = uint32(st.WaitHint / time.Millisecond)
	return ws
}

// servicePreshutdown is how long Windows waits at shutdown for the
// service to stop after SERVICE_CONTROL_PRESHUTDOWN, before it moves on:
// serve's stop (serviceStopWait) with room to spare. A plain
// SERVICE_CONTROL_SHUTDOWN gives a service only a few seconds
// (https://learn.microsoft.com/windows/win32/services/service-control-handler-function).
const servicePreshutdown = 45 * time.Second

// installService registers the service: automatic start as LocalSystem
// (not delayed: the License Server's uploads would find the proxy port
// closed for the first minutes after boot), restart on failure, a
// preshutdown timeout, an event log source, and a data dir that only
// SYSTEM and Administrators can read.
func installService(spec serviceSpec) error {
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	if s, err := m.OpenService(spec.Name); err == nil {
		s.Close()
		return fmt.Errorf("the %s service is already installed: `telltale service uninstall` first to change it", spec.Name)
	}
	if err := secureService(spec.ConfigFile, spec.Config, spec.Home); err != nil {
		return fmt.Errorf("not installed: %w", err)
	}
	s, err := m.CreateService(spec.Name, spec.Exe, mgr.Config{
		DisplayName:  spec.DisplayName,
		Description:  spec.Description,
		StartType:    mgr.StartAutomatic,
		ErrorControl: mgr.ErrorNormal,
	}, spec.Args...)
	if err != nil {
		return fmt.Errorf("create service: %w", err)
	}
	defer s.Close()
	if err := setRecovery(s); err != nil {
		s.Delete()
		return err
	}
	if err := eventlog.InstallAsEventCreate(spec.Name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		fmt.Fprintf(os.Stderr, "telltale: no event log source (%v); the log file still works\n", err)
	}
	return nil
}

// configureService does for a service that Windows Installer registered
// (packaging/msi) what installService does beside registering it: it locks
// down the folders, checks the files, and sets the recovery actions. The
// event log source is the package's own registry values.
func configureService(spec serviceSpec) error {
	if err := secureService(spec.ConfigFile, spec.Config, spec.Home); err != nil {
		return fmt.Errorf("not configured: %w", err)
	}
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(spec.Name)
	if err != nil {
		return fmt.Errorf("the %s service is not installed: %w", spec.Name, err)
	}
	defer s.Close()
	return setRecovery(s)
}

// setRecovery restarts the service 5s, 30s and 2min after a failure, a
// non-zero exit code included, and gives it servicePreshutdown at system
// shutdown. Only the restarts are required: Wine 8's service manager
// refuses the non-crash flag and the preshutdown timeout is a refinement,
// so their failures are warnings.
func setRecovery(s *mgr.Service) error {
	err := s.SetRecoveryActions([]mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 2 * time.Minute},
	}, uint32((24 * time.Hour).Seconds()))
	if err != nil {
		return fmt.Errorf("recovery actions: %w", err)
	}
	// Without this flag Windows restarts the service only when its process
	// dies without reporting Stopped, not when it stops with exit code 1
	// or 2 (serviceExitCode).
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		fmt.Fprintf(os.Stderr, "telltale: WARNING: restart on failure covers crashes only (%v): "+
			"set it with `sc.exe failureflag Telltale 1`\n", err)
	}
	if err := setPreshutdownTimeout(s, servicePreshutdown); err != nil {
		fmt.Fprintf(os.Stderr, "telltale: no preshutdown timeout (%v); at system shutdown the service gets only the shutdown notice\n", err)
	}
	return nil
}

// setPreshutdownTimeout sets SERVICE_CONFIG_PRESHUTDOWN_INFO, which
// golang.org/x/sys/windows/svc/mgr has no setter for.
func setPreshutdownTimeout(s *mgr.Service, d time.Duration) error {
	info := struct{ PreshutdownTimeout uint32 }{uint32(d / time.Millisecond)} // SERVICE_PRESHUTDOWN_INFO
	err := windows.ChangeServiceConfig2(s.Handle, windows.SERVICE_CONFIG_PRESHUTDOWN_INFO, (*byte)(unsafe.Pointer(&info)))
	if err != nil {
		return fmt.Errorf("preshutdown timeout: %w", err)
	}
	return nil
}

func uninstallService(name string) error {
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("the %s service is not installed: %w", name, err)
	}
	defer s.Close()
	if st, err := s.Query(); err == nil && st.State != svc.Stopped {
		if err := waitStopped(s); err != nil {
			return err
		}
	}
	if err := s.Delete(); err != nil {
		return fmt.Errorf("delete service: %w", err)
	}
	eventlog.Remove(name)
	return nil
}

func startService(name string) error {
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("the %s service is not installed (`telltale service install`): %w", name, err)
	}
	defer s.Close()
	if err := s.Start(); err != nil {
		return fmt.Errorf("start service: %w", err)
	}
	deadline := time.Now().Add(serviceStopWait)
	for time.Now().Before(deadline) {
		st, err := s.Query()
		if err != nil {
			return err
		}
		switch st.State {
		case svc.Running:
			return nil
		case svc.Stopped:
			return fmt.Errorf("the service stopped at once (exit code %d): see %%ProgramData%%\\Telltale\\logs\\telltale.log and the Application event log", st.ServiceSpecificExitCode)
		}
		time.Sleep(300 * time.Millisecond)
	}
	return errors.New("the service did not report running within 30s")
}

func stopService(name string) error {
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("the %s service is not installed: %w", name, err)
	}
	defer s.Close()
	return waitStopped(s)
}

// waitStopped asks the service to stop and waits until it has.
func waitStopped(s *mgr.Service) error {
	st, err := s.Control(svc.Stop)
	if err != nil {
		return fmt.Errorf("stop service: %w", err)
	}
	deadline := time.Now().Add(serviceStopWait + 5*time.Second)
	for st.State != svc.Stopped {
		if time.Now().After(deadline) {
			return errors.New("the service did not stop in time")
		}
		time.Sleep(300 * time.Millisecond)
		if st, err = s.Query(); err != nil {
			return err
		}
	}
	return nil
}

func connect() (*mgr.Mgr, error) {
	m, err := mgr.Connect()
	if err != nil {
		return nil, fmt.Errorf("service manager: %w (run from an elevated prompt: Run as administrator)", err)
	}
	return m, nil
}
