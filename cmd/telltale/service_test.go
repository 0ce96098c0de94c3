package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telltale/telltale/configs"
)

// states records what serviceLoop reports.
type states struct {
	mu   sync.Mutex
	list []svcState
}

func (s *states) report(st svcState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, st)
}

func (s *states) get() []svcState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]svcState(nil), s.list...)
}

func (s *states) waitFor(t *testing.T, want svcState) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, st := range s.get() {
			if st == want {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("state %d never reported; got %v", want, s.get())
}

// The service runs the real Server: it reports running once serve
// listens, serves traffic, reloads on paramchange, and on stop drains and
// closes the store before reporting stopped.
func TestServiceLoop_RunsServeAndStopsGracefully(t *testing.T) {
	v := newVendor(t)
	cfgPath, data := writeConfig(t, v, "")
	host := &serviceHost{load: func() (*configs.Config, error) { return serveConfig(cfgPath, "", "", "") }}
	controls := make(chan svcControl)
	var st states
	code := make(chan uint32, 1)
	go func() { code <- serviceLoop(host.run, host.reload, controls, st.report) }()
	st.waitFor(t, stateRunning)

	host.mu.Lock()
	addr := host.srv.ProxyAddr()
	host.mu.Unlock()
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/activate", "svc", `{"ver":"1.0"}`)
	controls <- ctlInterrogate
	controls <- ctlReload
	controls <- ctlStop
	if got := <-code; got != 0 {
		t.Errorf("exit code after stop: got %d, want 0", got)
	}
	want := []svcState{stateStartPending, stateRunning, stateRunning, stateRunning, stateStopPending, stateStopped}
	if got := st.get(); !equalStates(got, want) {
		t.Errorf("states: got %v, want %v", got, want)
	}
	// Stopped means the store is closed: list reads the file directly.
	if items := listJSON(t, "--data", data); len(items) != 1 || !items[0].Complete {
		t.Errorf("after stop: got %+v, want the one complete capture", items)
	}
}

func TestServiceLoop_StartFailureStopsWithExitCode1(t *testing.T) {
	var st states
	code := serviceLoop(func(context.Context, func()) error { return errors.New("port in use") },
		func() {}, make(chan svcControl), st.report)
	if code != 1 {
		t.Errorf("exit code: got %d, want 1 (the service manager's recovery restarts it)", code)
	}
	if got, want := st.get(), []svcState{stateStartPending, stateStopped}; !equalStates(got, want) {
		t.Errorf("states: got %v, want %v", got, want)
	}
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
