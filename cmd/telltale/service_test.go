package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telltale/telltale/alert"
	"github.com/telltale/telltale/configs"
)

// reports records what serviceLoop reports.
type reports struct {
	mu   sync.Mutex
	list []svcStatus
}

func (r *reports) report(st svcStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, st)
}

func (r *reports) get() []svcStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]svcStatus(nil), r.list...)
}

// count is how many reports in state st there were.
func (r *reports) count(st svcState) int {
	n := 0
	for _, s := range r.get() {
		if s.State == st {
			n++
		}
	}
	return n
}

// wait waits up to 10s for n reports of state st, and says if they came.
func (r *reports) wait(st svcState, n int) bool {
	deadline := time.Now().Add(10 * time.Second)
	for r.count(st) < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

func (r *reports) waitFor(t *testing.T, st svcState, n int) {
	t.Helper()
	if !r.wait(st, n) {
		t.Fatalf("fewer than %d reports of state %d; got %+v", n, st, r.get())
	}
}

// states is the reported states, with repeats of a pending state folded:
// how many progress reports come depends on how long a step takes.
func (r *reports) states() []svcState {
	var out []svcState
	for _, s := range r.get() {
		if n := len(out); n > 0 && out[n-1] == s.State && s.State != stateRunning {
			continue
		}
		out = append(out, s.State)
	}
	return out
}

func equalStates(a, b []svcState) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The service runs the real Server: it reports running once serve
// listens, serves traffic, answers interrogate, reloads on paramchange,
// and on stop drains, signs a last checkpoint and closes its log file
// before the loop returns its exit code, which is when svc.Run reports
// the service stopped. The loop itself never reports stopped.
func TestServiceLoop_RunsServeAndStopsGracefully(t *testing.T) {
	v := newVendor(t)
	cfgPath, data := writeConfig(t, v, "")
	logFile := filepath.Join(t.TempDir(), "logs", "telltale.log")
	cfgText := strings.Replace(string(mustRead(t, cfgPath)), "level: warn", "level: info\n  file: "+logFile, 1)
	os.WriteFile(cfgPath, []byte(cfgText), 0o644)
	host := &serviceHost{load: func() (*configs.Config, error) { return serveConfig(cfgPath, "", "", "") }}
	controls := make(chan svcControl)
	var r reports
	type result struct {
		code uint32
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := serviceLoop{Run: host.run, Reload: host.reload, Report: r.report, Stopping: host.stopping}.serve(controls)
		done <- result{code, err}
	}()
	r.waitFor(t, stateRunning, 1)

	host.mu.Lock()
	addr := host.srv.ProxyAddr()
	host.mu.Unlock()
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/activate", "svc", `{"ver":"1.0"}`)
	controls <- ctlInterrogate
	controls <- ctlReload
	controls <- ctlStop
	if got := <-done; got.code != 0 || got.err != nil {
		t.Errorf("after stop: exit code %d, err %v; want 0, nil", got.code, got.err)
	}
	want := []svcState{stateStartPending, stateRunning, stateRunning, stateRunning, stateStopPending}
	if got := r.states(); !equalStates(got, want) {
		t.Errorf("states: got %v, want %v (and never stopped: svc.Run reports that with the exit code)", got, want)
	}
	// The loop returned after serve closed the store (list reads the file
	// directly), signed the shutdown checkpoint and wrote its last line.
	if items := listJSON(t, "--data", data); len(items) != 1 || !items[0].Complete {
		t.Errorf("after stop: got %+v, want the one complete capture", items)
	}
	if out, errOut, code := cli(t, "checkpoint", "--data", data); code != 0 || !strings.Contains(out, "\n3\n") {
		t.Errorf("checkpoint after stop: exit %d %q %s, want one of tree size 3 (request, response, index record)", code, out, errOut)
	}
	log := string(mustRead(t, logFile))
	if !strings.Contains(log, `"control":"stop"`) || !strings.Contains(log, "service: stop requested; draining") {
		t.Errorf("log: no line naming the stop request:\n%s", log)
	}
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, `"telltale stopped"`) {
		t.Errorf("last log line: got %s, want serve's \"telltale stopped\"", last)
	}
}

// Old behaviour: one StopPending with a 30s hint and no checkpoint. Now the
// checkpoint grows while serve drains, nothing is accepted meanwhile, and
// the wait hint outlasts the interval between reports.
func TestServiceLoop_StopPendingAdvancesCheckPoint(t *testing.T) {
	var r reports
	controls := make(chan svcControl)
	run := func(ctx context.Context, ready func()) error {
		ready()
		<-ctx.Done()
		r.wait(stateStopPending, 4) // draining takes a while
		return nil
	}
	done := make(chan uint32, 1)
	go func() {
		code, _ := serviceLoop{Run: run, Report: r.report, Tick: time.Millisecond}.serve(controls)
		done <- code
	}()
	r.waitFor(t, stateRunning, 1)
	controls <- ctlPreShutdown
	if code := <-done; code != exitStopped || r.count(stateStopPending) < 4 {
		t.Errorf("after preshutdown: exit code %d, %d stop pending reports; want 0 and at least 4", code, r.count(stateStopPending))
	}
	var last uint32
	for _, st := range r.get() {
		if st.State != stateStopPending {
			continue
		}
		if st.CheckPoint <= last || st.Accepts != 0 || st.WaitHint <= time.Millisecond {
			t.Errorf("stop pending report %+v after checkpoint %d: want a higher checkpoint, no accepted controls, a wait hint over the 1ms tick", st, last)
		}
		last = st.CheckPoint
	}
}

// Past Limit the checkpoint stops growing, so a drain that hangs shows as
// hung. The clock advances a second per reading; serve returns once the
// loop has read it 60 times, 60 fake seconds after the stop request.
func TestServiceLoop_CheckPointStopsAtLimit(t *testing.T) {
	var r reports
	var readings atomic.Int64
	start := time.Now()
	now := func() time.Time { return start.Add(time.Duration(readings.Add(1)) * time.Second) }
	controls := make(chan svcControl)
	run := func(ctx context.Context, ready func()) error {
		ready()
		<-ctx.Done()
		for at := readings.Load(); readings.Load() < at+60; {
			time.Sleep(time.Millisecond)
		}
		return nil
	}
	done := make(chan uint32, 1)
	go func() {
		code, _ := serviceLoop{Run: run, Report: r.report, Tick: time.Millisecond, Limit: 30 * time.Second, Now: now}.serve(controls)
		done <- code
	}()
	r.waitFor(t, stateRunning, 1)
	controls <- ctlStop
	<-done
	if n := r.count(stateStopPending); n < 29 || n > 31 {
		t.Errorf("stop pending reports: got %d, want about 30 (one a fake second, up to the 30s limit); %+v", n, r.get())
	}
}

func TestServiceLoop_ExitCodes(t *testing.T) {
	failStart := func(context.Context, func()) error { return errors.New("port in use") }
	endsAlone := func(_ context.Context, ready func()) error { ready(); return errors.New("listener closed") }
	drainFails := func(ctx context.Context, ready func()) error {
		ready()
		<-ctx.Done()
		return errors.New("checkpoint not signed")
	}
	for _, c := range []struct {
		name     string
		run      func(context.Context, func()) error
		stop     bool
		want     uint32
		states   []svcState
		event    uint32
		severity string
	}{
		{"start fails", failStart, false, exitStartFailed, []svcState{stateStartPending}, eventStartFailed, alert.Critical},
		{"serve ends on its own", endsAlone, false, exitServeFailed, []svcState{stateStartPending, stateRunning}, eventServeFailed, alert.Critical},
		// A non-zero code here would make the service manager restart a
		// service that was asked to stop (recovery on non-crash failures).
		{"drain fails after stop", drainFails, true, exitStopped, []svcState{stateStartPending, stateRunning, stateStopPending}, eventStopError, alert.Warning},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r reports
			controls := make(chan svcControl, 1)
			if c.stop {
				go func() { r.wait(stateRunning, 1); controls <- ctlStop }()
			}
			code, err := serviceLoop{Run: c.run, Reload: func() {}, Report: r.report}.serve(controls)
			if code != c.want || err == nil {
				t.Errorf("got exit code %d, err %v; want %d and serve's error", code, err, c.want)
			}
			if got := r.states(); !equalStates(got, c.states) {
				t.Errorf("states: got %v, want %v", got, c.states)
			}
			id, severity, msg := serviceEvent(code, err)
			if id != c.event || severity != c.severity || !strings.Contains(msg, err.Error()) {
				t.Errorf("event: got %d %s %q, want %d %s with the error", id, severity, msg, c.event, c.severity)
			}
		})
	}
}

// Running accepts stop, shutdown, preshutdown and paramchange; a pending
// state accepts nothing, with a checkpoint and a wait hint.
func TestServiceStatus_Accepts(t *testing.T) {
	if got, want := statusOf(stateRunning), (svcStatus{State: stateRunning, Accepts: acceptStop | acceptShutdown | acceptPreShutdown | acceptParamChange}); got != want {
		t.Errorf("running: got %+v, want %+v", got, want)
	}
	for _, st := range []svcState{stateStartPending, stateStopPending} {
		if got := statusOf(st); got.Accepts != 0 || got.CheckPoint == 0 || got.WaitHint <= pendingTick {
			t.Errorf("state %d: got %+v, want no controls, a checkpoint and a wait hint over %v", st, got, pendingTick)
		}
	}
}

func TestServiceConfig_ProgramDataDefaults(t *testing.T) {
	pd := t.TempDir()
	env := func(k string) string {
		if k == "ProgramData" {
			return pd
		}
		return ""
	}
	cfg, err := serviceConfig("", "", env)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(pd, "Telltale")
	if cfg.DataDir != home || cfg.Log.File != filepath.Join(home, "logs", "telltale.log") {
		t.Errorf("service defaults: data %q, log %q; want under %s", cfg.DataDir, cfg.Log.File, home)
	}
	// A telltale.yaml in the service home is used when there is no -c.
	os.MkdirAll(home, 0o700)
	os.WriteFile(filepath.Join(home, "telltale.yaml"), []byte("others: deny\nlog:\n  file: "+filepath.Join(pd, "x.log")+"\n"), 0o600)
	cfg, err = serviceConfig("", "", env)
	if err != nil || cfg.Others != "deny" || cfg.Log.File != filepath.Join(pd, "x.log") {
		t.Errorf("home config: got %+v, %v", cfg, err)
	}
	if cfg, _ := serviceConfig("", filepath.Join(pd, "elsewhere"), env); cfg.DataDir != filepath.Join(pd, "elsewhere") {
		t.Errorf("--data: got %q", cfg.DataDir)
	}
}

func TestServiceSpec_AbsolutePaths(t *testing.T) {
	spec, err := newServiceSpec(`C:\Program Files\Telltale\telltale.exe`, "telltale.yaml", "data")
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	want := []string{"service", "run", "--config", filepath.Join(wd, "telltale.yaml"), "--data", filepath.Join(wd, "data")}
	if strings.Join(spec.Args, "|") != strings.Join(want, "|") || spec.Name != "Telltale" || spec.DataDir != filepath.Join(wd, "data") {
		t.Errorf("spec: got %+v, want args %v", spec, want)
	}
	if !strings.Contains(spec.commandLine(), `"service" "run"`) {
		t.Errorf("command line: %s", spec.commandLine())
	}
}

func TestCLI_Service_NotWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the real service manager")
	}
	for _, sub := range []string{"install", "uninstall", "start", "stop", "run"} {
		_, errOut, code := cli(t, "service", sub)
		if code != 2 || !strings.Contains(errOut, "systemd") || !strings.Contains(errOut, "configs/telltale.service") {
			t.Errorf("service %s: exit %d %q, want 2 pointing at the systemd unit", sub, code, errOut)
		}
	}
}

// docs/windows.md's table lists every event ID the service writes, each
// alert kind by name, so that an operator's filter matches the code.
func TestServiceEvents_DocumentedInWindowsGuide(t *testing.T) {
	doc := string(mustRead(t, filepath.Join("..", "..", "docs", "windows.md")))
	row := func(id uint32) string {
		for _, line := range strings.Split(doc, "\n") {
			if strings.HasPrefix(line, fmt.Sprintf("| %-3d |", id)) {
				return line
			}
		}
		return ""
	}
	for _, id := range []uint32{eventStarted, eventStopped, eventStartFailed, eventServeFailed, eventStopError, alert.EventOther} {
		if row(id) == "" {
			t.Errorf("docs/windows.md: no row for event ID %d", id)
		}
	}
	for kind, id := range alert.EventIDs() {
		if r := row(id); !strings.Contains(r, "`"+kind+"`") {
			t.Errorf("docs/windows.md: event ID %d: got row %q, want alert `%s`", id, r, kind)
		}
	}
}
