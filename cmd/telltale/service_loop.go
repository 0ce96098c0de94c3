package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/alert"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/server"
)

// The service's life between the service manager and serve, without
// Windows: service_windows.go translates svcControl and svcStatus to and
// from golang.org/x/sys/windows/svc, so that what is tested here on Linux
// is what the service manager sees.

// svcControl is a service manager request, as serviceLoop sees it.
type svcControl int

const (
	ctlStop svcControl = iota
	ctlShutdown
	ctlPreShutdown // sent before ctlShutdown, with the preshutdown timeout set at install
	ctlInterrogate
	ctlReload // SERVICE_CONTROL_PARAMCHANGE: `sc control Telltale paramchange`
)

func (c svcControl) String() string {
	return [...]string{"stop", "shutdown", "preshutdown", "interrogate", "paramchange"}[c]
}

type svcState int

const (
	stateStartPending svcState = iota
	stateRunning
	stateStopPending
)

// svcAccepts is the controls a status accepts (SERVICE_ACCEPT_*).
type svcAccepts int

const (
	acceptStop svcAccepts = 1 << iota
	acceptShutdown
	acceptPreShutdown
	acceptParamChange
)

// svcStatus is one status report to the service manager. There is no
// stopped status: svc.Run reports Stopped itself, with the exit code that
// Execute returns. Reporting Stopped earlier, as Telltale once did, shows
// the service manager exit code 0 after a failure, and its recovery
// actions (restart on failure) never run; and the process may be ended as
// soon as it says Stopped.
type svcStatus struct {
	State   svcState
	Accepts svcAccepts
	// CheckPoint grows with each report while a pending state lasts, so
	// that the service manager sees progress; WaitHint is how long it
	// should wait for the next report before judging the service hung.
	CheckPoint uint32
	WaitHint   time.Duration
}

// Exit codes of the service, service-specific: `sc query Telltale` shows
// WIN32_EXIT_CODE 1066 (ERROR_SERVICE_SPECIFIC_ERROR) and SERVICE_EXIT_CODE
// this. Any non-zero code makes the service manager run the recovery
// actions set at install.
const (
	exitStopped     uint32 = 0 // stopped on request: stop, preshutdown, shutdown
	exitStartFailed uint32 = 1 // serve could not start: config, store, CA, ports
	exitServeFailed uint32 = 2 // serve ended without being asked to
)

// Event IDs of the service's own events in the Application event log
// (source Telltale); alerts have theirs (alert.EventID, 100 and up).
// docs/windows.md lists them all.
const (
	eventStarted     uint32 = 1 // information: serving
	eventStopped     uint32 = 2 // information: stopped on request, drained
	eventStartFailed uint32 = 3 // error: exit code 1
	eventServeFailed uint32 = 4 // error: exit code 2
	eventStopError   uint32 = 5 // warning: stopped on request, but the drain reported an error
)

// Progress while pending: a report every pendingTick, each with a
// CheckPoint one higher and a WaitHint of pendingHint, for at most
// pendingLimit. Past the limit the checkpoint stays put, so a serve that
// hangs while starting or draining shows as hung instead of progressing
// for ever; serve drains in at most 10s, then signs a last checkpoint
// (anchors 5s, alerts 5s at most).
const (
	pendingTick  = time.Second
	pendingHint  = 5 * time.Second
	pendingLimit = serviceStopWait
)

// statusOf is the status reported in state st.
func statusOf(st svcState) svcStatus {
	switch st {
	case stateRunning:
		return svcStatus{State: st, Accepts: acceptStop | acceptShutdown | acceptPreShutdown | acceptParamChange}
	}
	return svcStatus{State: st, CheckPoint: 1, WaitHint: pendingHint} // pending: accepts nothing
}

// serviceLoop runs the service: it reports start pending, runs serve,
// reports running once serve listens, and on stop, preshutdown or
// shutdown cancels it and reports stop pending, with a growing checkpoint,
// until serve has drained, signed its last checkpoint and closed its log.
type serviceLoop struct {
	Run    func(ctx context.Context, ready func()) error // serve
	Reload func()                                        // paramchange
	Report func(svcStatus)                               // to the service manager
	// Stopping, when set, is told which request stops the service.
	Stopping func(svcControl)
	// Tick and Limit pace the checkpoints while pending; 0: pendingTick
	// and pendingLimit.
	Tick, Limit time.Duration
	Now         func() time.Time // nil: time.Now
}

// serve runs the service until serve returns, and returns the exit code
// and serve's error. The caller's Execute returns that code, and only
// then does the service manager see the service stopped.
func (l serviceLoop) serve(controls <-chan svcControl) (uint32, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- l.Run(ctx, sync.OnceFunc(func() { close(ready) })) }()
	p := l.progress()
	p.enter(stateStartPending)
	tick := time.NewTicker(cmp.Or(l.Tick, pendingTick))
	defer tick.Stop()
	started, stopping := false, false
	for {
		select {
		case <-ready:
			ready, started = nil, true
			if !stopping {
				p.enter(stateRunning)
			}
		case err := <-errc:
			return serviceExitCode(started, stopping), err
		case <-tick.C:
			p.tick()
		case c := <-controls:
			switch {
			case (c == ctlStop || c == ctlShutdown || c == ctlPreShutdown) && !stopping:
				stopping = true
				if l.Stopping != nil {
					l.Stopping(c)
				}
				cancel()
				p.enter(stateStopPending)
			case c == ctlReload && p.st.State == stateRunning:
				l.Reload()
				p.again()
			default: // interrogate, or a repeated stop: say where we are
				p.again()
			}
		}
	}
}

func (l serviceLoop) progress() *progress {
	p := &progress{report: l.Report, now: l.Now, limit: cmp.Or(l.Limit, pendingLimit)}
	if p.now == nil {
		p.now = time.Now
	}
	return p
}

// serviceExitCode is the service's exit code once serve has returned. A
// requested stop is 0 even when the drain failed (the event log and the
// log say so): any other code would make the service manager restart a
// service that was asked to stop.
func serviceExitCode(started, stopping bool) uint32 {
	switch {
	case stopping:
		return exitStopped
	case !started:
		return exitStartFailed
	}
	return exitServeFailed
}

// progress reports the status, and while it is pending reports it again
// each tick with the checkpoint advanced, up to pendingLimit.
type progress struct {
	report func(svcStatus)
	now    func() time.Time
	limit  time.Duration
	st     svcStatus
	since  time.Time
}

func (p *progress) enter(st svcState) {
	p.st, p.since = statusOf(st), p.now()
	p.report(p.st)
}

func (p *progress) tick() {
	if p.st.State == stateRunning || p.now().Sub(p.since) >= p.limit {
		return
	}
	p.st.CheckPoint++
	p.report(p.st)
}

func (p *progress) again() { p.report(p.st) }

// serviceEvent is the event log entry for how the service ended.
func serviceEvent(code uint32, err error) (id uint32, severity, msg string) {
	switch {
	case code == exitStartFailed:
		return eventStartFailed, alert.Critical, fmt.Sprintf("Telltale could not start (exit code %d): %v", code, err)
	case code != exitStopped:
		return eventServeFailed, alert.Critical, fmt.Sprintf("Telltale stopped unexpectedly (exit code %d): %v", code, err)
	case err != nil:
		return eventStopError, alert.Warning, "Telltale stopped on request, with an error while draining: " + err.Error()
	}
	return eventStopped, alert.Info, "Telltale stopped on request: in-flight exchanges drained, a last checkpoint signed, the log closed."
}

// serviceHost runs serve for the service and reloads it on request.
type serviceHost struct {
	load func() (*configs.Config, error)
	// alerts, when set, also receives every alert: the Windows event log.
	alerts alert.Sink

	mu  sync.Mutex
	srv *server.Server // nil until started
	log zerolog.Logger // the service's log, once started
}

// run starts serve, calls ready once it listens, and serves until ctx
// ends. It returns once serve has drained, the store is closed and the
// log file is closed.
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
	s, err := server.New(cfg, server.Options{Logger: log, Source: h.load, AlertSink: h.alerts})
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

// stopping logs which request stops the service, before serve drains.
func (h *serviceHost) stopping(c svcControl) {
	h.mu.Lock()
	log := h.log
	h.mu.Unlock()
	log.Info().Str("component", "service").Str("control", c.String()).Msg("service: stop requested; draining")
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
