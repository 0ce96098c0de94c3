//go:build windows

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// dataDirSDDL gives the data dir (CA key, admin token, store) to SYSTEM and
// the Administrators group only, not inherited from %ProgramData%, whose
// default ACL lets every user read. Go's 0600 file modes mean nothing on
// Windows (https://pkg.go.dev/os#Chmod).
const dataDirSDDL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

// runService hands the process to the service manager.
func runService(name string, host *serviceHost) error {
	isService, err := svc.IsWindowsService()
	if err != nil {
		return err
	}
	if !isService {
		return usage(errors.New("`telltale service run` is started by the service manager; use `telltale service start`, or `telltale serve` in a console"))
	}
	elog, err := eventlog.Open(name)
	if err == nil {
		defer elog.Close()
	}
	h := &svcHandler{host: host, elog: elog}
	if err := svc.Run(name, h); err != nil {
		return fmt.Errorf("service: %w", err)
	}
	return nil
}

type svcHandler struct {
	host *serviceHost
	elog *eventlog.Log // nil when the event source is missing
}

// Execute translates the service manager's requests for serviceLoop.
func (h *svcHandler) Execute(_ []string, r <-chan svc.ChangeRequest, s chan<- svc.Status) (bool, uint32) {
	controls := make(chan svcControl)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case c := <-r:
				if ctl, ok := controlOf(c.Cmd); ok {
					select {
					case controls <- ctl:
					case <-stop:
						return
					}
				}
			}
		}
	}()
	report := func(st svcState) { s <- statusOf(st) }
	run := func(ctx context.Context, ready func()) error {
		err := h.host.run(ctx, ready)
		if err != nil && h.elog != nil {
			h.elog.Error(1, "Telltale stopped: "+err.Error())
		}
		return err
	}
	code := serviceLoop(run, h.host.reload, controls, report)
	return code != 0, code
}

func controlOf(c svc.Cmd) (svcControl, bool) {
	switch c {
	case svc.Stop:
		return ctlStop, true
	case svc.Shutdown:
		return ctlShutdown, true
	case svc.Interrogate:
		return ctlInterrogate, true
	case svc.ParamChange:
		return ctlReload, true
	}
	return 0, false
}

func statusOf(st svcState) svc.Status {
	accepts := svc.AcceptStop | svc.AcceptShutdown | svc.AcceptParamChange
	switch st {
	case stateStartPending:
		return svc.Status{State: svc.StartPending, WaitHint: 30000}
	case stateRunning:
		return svc.Status{State: svc.Running, Accepts: accepts}
	case stateStopPending:
		return svc.Status{State: svc.StopPending, WaitHint: uint32(serviceStopWait / time.Millisecond)}
	}
	return svc.Status{State: svc.Stopped}
}

// installService registers the service: automatic (delayed) start as
// LocalSystem, restart on failure, an event log source, and a data dir
// that only SYSTEM and Administrators can read.
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
	if err := lockDown(spec.DataDir); err != nil {
		return fmt.Errorf("data dir %s: %w", spec.DataDir, err)
	}
	s, err := m.CreateService(spec.Name, spec.Exe, mgr.Config{
		DisplayName:      spec.DisplayName,
		Description:      spec.Description,
		StartType:        mgr.StartAutomatic,
		DelayedAutoStart: true,
		ErrorControl:     mgr.ErrorNormal,
	}, spec.Args...)
	if err != nil {
		return fmt.Errorf("create service: %w", err)
	}
	defer s.Close()
	err = s.SetRecoveryActions([]mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 2 * time.Minute},
	}, uint32((24 * time.Hour).Seconds()))
	if err == nil {
		err = s.SetRecoveryActionsOnNonCrashFailures(true) // exit code 1 counts as a failure
	}
	if err != nil {
		s.Delete()
		return fmt.Errorf("recovery actions: %w", err)
	}
	if err := eventlog.InstallAsEventCreate(spec.Name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		fmt.Fprintf(os.Stderr, "telltale: no event log source (%v); the log file still works\n", err)
	}
	return nil
}

// lockDown creates dir and replaces its ACL by dataDirSDDL.
func lockDown(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	sd, err := windows.SecurityDescriptorFromString(dataDirSDDL)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
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
