package msi

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/wine"
)

// TestMSI_InstallUnderWine installs telltale.msi with Wine 8's msiexec,
// silently, with LISTEN and CONFIG, in a Wine prefix of its own. With
// LISTEN's port taken the service cannot start and the install rolls
// back. Then version 0.1.1, upgraded to 0.1.2 while its service runs (the
// old product gone, the CA kept): the program lands in Program Files and
// the default config in ProgramData, the service is registered with the
// properties on its command line and the event log source with it,
// `service configure` runs (its output is msiexec's), and the service
// runs: the admin API answers on the config's port and the proxy on
// LISTEN's. Uninstall then removes the program, the service and the event
// source, and leaves the data dir with the store.
//
// What Wine does not show: Wine keeps no access lists, so the lockdown is
// exercised but not checked (acl_windows.go skips the check under Wine
// and says so); Wine's msiexec writes the service's ImagePath without
// quotes around the program's path (whether Windows Installer quotes it
// was not checked); and Wine refuses the failure-actions flag ("Invalid
// level"), as for `service install` (cmd/telltale/service_wine_test.go).
func TestMSI_InstallUnderWine(t *testing.T) {
	wine.Require(t)
	old, pkg := buildMSI(t, "0.1.1"), buildMSI(t, "0.1.2")
	w := newPrefix(t)
	proxyPort, adminPort, configPort := freePort(t), freePort(t), freePort(t)
	w.writeFile(t, `telltale-conf\telltale.yaml`, fmt.Sprintf("listen: 127.0.0.1:%d\nadmin:\n  listen: 127.0.0.1:%d\n", configPort, adminPort))
	install := func(pkg string) string {
		out := w.mustRun(t, "msiexec", "/i", wine.Path(pkg), "/qn", "/l*v", wine.Path(filepath.Join(w.dir, "install.log")),
			fmt.Sprintf("LISTEN=127.0.0.1:%d", proxyPort), `CONFIG=C:\telltale-conf\telltale.yaml`)
		if !strings.Contains(out, `configured the Telltale service: C:\ProgramData\Telltale locked down`) {
			t.Errorf("msiexec output %q: want `service configure`'s, for the data dir", out)
		}
		return out
	}
	admin := fmt.Sprintf("http://127.0.0.1:%d/healthz", adminPort)

	// With LISTEN's port taken the service cannot start: the install
	// fails and rolls back, the program and the service gone again.
	held, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", proxyPort))
	if err != nil {
		t.Fatal(err)
	}
	failed := filepath.Join(w.dir, "failed.log")
	if out, err := w.run(t, "msiexec", "/i", wine.Path(old), "/qn", "/l*v", wine.Path(failed),
		fmt.Sprintf("LISTEN=127.0.0.1:%d", proxyPort), `CONFIG=C:\telltale-conf\telltale.yaml`); err == nil {
		t.Errorf("install with LISTEN's port taken succeeded:\n%s", out)
	}
	held.Close()
	// Wine logs a failed action's return value as 0, Windows as 3.
	if l := w.log(failed); !regexp.MustCompile(`StartServices\. Return value [03]`).MatchString(l) {
		t.Errorf("the failed install's log does not say StartServices failed:\n%s", l)
	}
	if _, err := os.Stat(filepath.Join(w.driveC, "Program Files", "Telltale", "telltale.exe")); !os.IsNotExist(err) {
		t.Errorf("after a failed install, telltale.exe: %v, want it rolled back", err)
	}
	if out, err := w.run(t, "reg", "query", `HKLM\System\CurrentControlSet\Services\Telltale`); err == nil {
		t.Errorf("after a failed install the service is registered:\n%s", out)
	}

	// The older version first, then the newer over it: a major upgrade
	// removes the old product (and its service) and keeps the data dir.
	install(old)
	waitFor(t, "the first version's admin API", func() bool { return get(admin) == http.StatusOK })
	caBefore := w.readDir(t, `ProgramData\Telltale\ca`)
	install(pkg)
	uninstallKey := `HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\`
	if out, err := w.run(t, "reg", "query", uninstallKey+openMSI(t, old).row(t, "Property", "Property", "ProductCode")["Value"]); err == nil {
		t.Errorf("after the upgrade the old version is still installed:\n%s", out)
	}
	w.reg(t, uninstallKey+openMSI(t, pkg).row(t, "Property", "Property", "ProductCode")["Value"])
	if caAfter := w.readDir(t, `ProgramData\Telltale\ca`); len(caBefore) == 0 || !maps.EqualFunc(caBefore, caAfter, bytes.Equal) {
		t.Errorf("the CA changed across the upgrade: %d files before, %d after", len(caBefore), len(caAfter))
	}
	exe := filepath.Join(w.driveC, "Program Files", "Telltale", "telltale.exe")
	if _, err := os.Stat(exe); err != nil {
		t.Errorf("after install: %v", err)
	}
	w.wantSameFile(t, filepath.Join(w.driveC, "ProgramData", "Telltale", "telltale.yaml"), filepath.Join("..", "..", "configs", "telltale.yaml"))

	svc := w.reg(t, `HKLM\System\CurrentControlSet\Services\Telltale`)
	wantArgs := fmt.Sprintf(`telltale.exe service run --config "C:\telltale-conf\telltale.yaml" --data "C:\ProgramData\Telltale\." --listen "127.0.0.1:%d"`, proxyPort)
	for _, want := range []string{wantArgs, "Start    REG_DWORD    0x2", "ObjectName    REG_SZ    LocalSystem", "PreshutdownTimeout"} {
		if !strings.Contains(svc, want) {
			t.Errorf("the service's registry key lacks %q:\n%s", want, svc)
		}
	}
	events := w.reg(t, `HKLM\System\CurrentControlSet\Services\EventLog\Application\Telltale`)
	for _, want := range []string{`EventMessageFile    REG_EXPAND_SZ    %SystemRoot%\System32\EventCreate.exe`, "TypesSupported    REG_DWORD    0x7"} {
		if !strings.Contains(events, want) {
			t.Errorf("the event source lacks %q:\n%s", want, events)
		}
	}

	waitFor(t, "the service's admin API", func() bool { return get(admin) == http.StatusOK })
	if code := get(fmt.Sprintf("http://127.0.0.1:%d/", proxyPort)); code == 0 {
		t.Errorf("nothing answers on LISTEN's port %d", proxyPort)
	}
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", configPort), time.Second); err == nil {
		c.Close()
		t.Errorf("the config's listen port %d is open: LISTEN should have replaced it", configPort)
	}

	// The upgrade above stopped and removed a running service; here the
	// service is stopped first. Wine's StopServices returns when the
	// service reports stopped, not when its process has ended, and Wine's
	// RemoveFiles then at times leaves the program behind, still in use.
	w.mustRun(t, "sc", "stop", "Telltale")
	waitFor(t, "the service's process to end", func() bool { return get(admin) == 0 && !running(`C:\telltale-conf\telltale.yaml`) })
	w.mustRun(t, "msiexec", "/x", wine.Path(pkg), "/qn", "/l*v", wine.Path(filepath.Join(w.dir, "uninstall.log")))
	if _, err := os.Stat(exe); !os.IsNotExist(err) {
		t.Errorf("after uninstall, telltale.exe: %v, want it gone", err)
	}
	for _, key := range []string{`HKLM\System\CurrentControlSet\Services\Telltale`, `HKLM\System\CurrentControlSet\Services\EventLog\Application\Telltale`} {
		if out, err := w.run(t, "reg", "query", key); err == nil {
			t.Errorf("after uninstall, %s is still there:\n%s", key, out)
		}
	}
	for _, f := range []string{"telltale.yaml", "telltale.db", `ca`} {
		if _, err := os.Stat(filepath.Join(w.driveC, "ProgramData", "Telltale", f)); err != nil {
			t.Errorf("after uninstall the data dir lost %s: %v", f, err)
		}
	}
}

// prefix is a Wine prefix of the test's own, with a persistent wineserver
// so that services.exe and the service live between commands.
type prefix struct {
	dir, driveC string
}

func newPrefix(t *testing.T) *prefix {
	t.Helper()
	root := t.TempDir()
	w := &prefix{dir: root, driveC: filepath.Join(root, "prefix", "drive_c")}
	w.mustRun(t, "cmd", "/c", "exit") // makes the prefix and the stand-in DLL
	t.Cleanup(func() { w.env(exec.Command(wineServer(), "-k")).Run() })
	w.boot(t)
	return w
}

// boot ends every process of the prefix and starts it again, as Windows
// boots: with a wineserver that stays, and services.exe running from now
// on.
func (w *prefix) boot(t *testing.T) {
	t.Helper()
	w.env(exec.Command(wineServer(), "-k")).Run()
	w.env(exec.Command(wineServer(), "-w")).Run()
	if err := w.env(exec.Command(wineServer(), "-p")).Run(); err != nil {
		t.Fatalf("wineserver -p: %v", err)
	}
	w.mustRun(t, "cmd", "/c", "exit")
}

func (w *prefix) env(cmd *exec.Cmd) *exec.Cmd {
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "WINEPREFIX="+filepath.Join(w.dir, "prefix"))
	return cmd
}

// run runs a Windows program of the prefix and returns its output. The
// output goes through a file, not a pipe: a service that msiexec starts
// may inherit the handle and hold a pipe open for as long as it runs.
func (w *prefix) run(t *testing.T, exe string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f, err := os.CreateTemp(w.dir, "out-*.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := w.env(wine.Command(ctx, exe, args...))
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: %v", exe, strings.Join(args, " "), ctx.Err())
	}
	out, rerr := os.ReadFile(f.Name())
	if rerr != nil {
		t.Fatal(rerr)
	}
	return strings.ReplaceAll(string(out), "\r", ""), err
}

func (w *prefix) mustRun(t *testing.T, exe string, args ...string) string {
	t.Helper()
	out, err := w.run(t, exe, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", exe, strings.Join(args, " "), err, out, w.logTail())
	}
	return out
}

// logTail is the end of the last msiexec log, which says why it failed.
func (w *prefix) logTail() string {
	var l string
	for _, name := range []string{"install.log", "uninstall.log"} {
		if s := w.log(filepath.Join(w.dir, name)); s != "" {
			l = s
		}
	}
	return l[max(0, len(l)-6000):]
}

// log is an msiexec log (UTF-16 on Windows, here as bytes).
func (w *prefix) log(name string) string {
	b, _ := os.ReadFile(name)
	return string(bytes.ReplaceAll(b, []byte("\x00"), nil))
}

func (w *prefix) reg(t *testing.T, key string) string {
	t.Helper()
	out, err := w.run(t, "reg", "query", key)
	if err != nil {
		t.Errorf("reg query %s: %v\n%s", key, err, out)
	}
	return out
}

func (w *prefix) writeFile(t *testing.T, name, text string) {
	t.Helper()
	p := filepath.Join(w.driveC, filepath.FromSlash(strings.ReplaceAll(name, `\`, "/")))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readDir is every file of a folder of drive C, by name.
func (w *prefix) readDir(t *testing.T, name string) map[string][]byte {
	t.Helper()
	dir := filepath.Join(w.driveC, filepath.FromSlash(strings.ReplaceAll(name, `\`, "/")))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
			files[e.Name()] = b
		}
	}
	return files
}

func (w *prefix) wantSameFile(t *testing.T, got, want string) {
	t.Helper()
	g, err := os.ReadFile(got)
	if err != nil {
		t.Errorf("after install: %v", err)
		return
	}
	if wb, err := os.ReadFile(want); err != nil || !bytes.Equal(g, wb) {
		t.Errorf("%s differs from %s (%v)", got, want, err)
	}
}

func wineServer() string {
	if p, err := exec.LookPath("wineserver"); err == nil {
		return p
	}
	return "/usr/lib/wine/wineserver"
}

// running reports whether a process runs whose command line holds arg.
func running(arg string) bool {
	lines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range lines {
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte(arg)) {
			return true
		}
	}
	return false
}

// get is url's status, 0 when nothing answers.
func get(url string) int {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not up within 60s", what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// freePort is a TCP port free on loopback just now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
