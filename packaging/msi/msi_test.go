package msi

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/telltale/telltale/internal/testtool"
)

// TestMSI_Tables builds telltale.msi as CI does and reads its tables back
// with msiinfo: the files and where they go, the service and how it
// starts, the custom actions and when they run, the properties a silent
// install takes, the event log source, and what uninstall leaves.
func TestMSI_Tables(t *testing.T) {
	pkg := buildMSI(t, "1.2.3")
	m := openMSI(t, pkg)

	m.wantRow(t, "Property", "Property", "ProductVersion", map[string]string{"Value": "1.2.3"})
	m.wantRow(t, "Property", "Property", "ALLUSERS", map[string]string{"Value": "1"}) // per machine
	m.wantRow(t, "Property", "Property", "UpgradeCode", map[string]string{"Value": "{67635d88-aa04-4c8d-bb08-955b4439b9b9}"})
	m.wantRow(t, "LaunchCondition", "Condition", "VersionNT64", nil)
	secure := strings.Split(m.row(t, "Property", "Property", "SecureCustomProperties")["Value"], ";")
	for _, p := range []string{"LISTEN", "CONFIG", "DATADIR", "WIX_UPGRADE_DETECTED"} {
		if !slices.Contains(secure, p) {
			t.Errorf("SecureCustomProperties %q: want %s, which must reach the installer's service side", secure, p)
		}
	}

	// Directories: the program in Program Files, the data under ProgramData.
	m.wantRow(t, "Directory", "Directory", "INSTALLDIR", map[string]string{"Directory_Parent": "ProgramFiles64Folder", "DefaultDir": "Telltale"})
	m.wantRow(t, "Directory", "Directory", "DATADIR", map[string]string{"Directory_Parent": "CommonAppDataFolder", "DefaultDir": "Telltale"})
	m.wantRow(t, "File", "File", "TelltaleExe", map[string]string{"Component_": "TelltaleExe", "FileName": "telltale.exe"})
	m.wantRow(t, "File", "File", "DefaultConfig", map[string]string{"Component_": "DataDir", "FileName": "telltale.yaml"})
	m.wantRow(t, "Component", "Component", "TelltaleExe", map[string]string{"Directory_": "INSTALLDIR", "KeyPath": "TelltaleExe"})
	m.wantRow(t, "CreateFolder", "Directory_", "DATADIR", map[string]string{"Component_": "DataDir"})
	if bits := m.int(t, "Component", "Component", "TelltaleExe", "Attributes"); bits&256 == 0 {
		t.Errorf("TelltaleExe component attributes %#x: want msidbComponentAttributes64bit", bits)
	}
	// The data dir's component has no component code: Windows Installer
	// does not register it, so uninstall leaves the folder, the config and
	// the evidence in it.
	m.wantRow(t, "Component", "Component", "DataDir", map[string]string{"Directory_": "DATADIR", "ComponentId": ""})
	m.checkFiles(t, pkg)

	// The service: automatic start as LocalSystem, its own process, the
	// MSI's properties on its command line.
	m.wantRow(t, "ServiceInstall", "ServiceInstall", "TelltaleService", map[string]string{
		"Name": "Telltale", "ServiceType": "16", "StartType": "2", "ErrorControl": "1", "StartName": "LocalSystem",
		"Component_": "TelltaleExe",
		"Arguments":  `service run --config "[CONFIG]" --data "[DATADIR]."[LISTENARG]`,
	})
	// Started at install, stopped at install and uninstall, removed at
	// uninstall, waiting for each.
	const start, stop, uninstallStop, uninstallDelete = 1, 2, 32, 128
	m.wantRow(t, "ServiceControl", "ServiceControl", "TelltaleService", map[string]string{
		"Name": "Telltale", "Event": strconv.Itoa(start | stop | uninstallStop | uninstallDelete), "Wait": "1", "Component_": "TelltaleExe",
	})

	// The event log source, as `telltale service install` registers it.
	const eventKey = `SYSTEM\CurrentControlSet\Services\EventLog\Application\Telltale`
	reg := map[string]string{}
	for _, r := range m.table(t, "Registry") {
		if r["Key"] == eventKey && r["Root"] == "2" && r["Component_"] == "EventSource" { // 2: HKLM
			reg[r["Name"]] = r["Value"]
		}
	}
	want := map[string]string{
		"TypesSupported": "#7",
		"CustomSource":   "#1",
		// #%: REG_EXPAND_SZ
		"EventMessageFile": `#%%SystemRoot%\System32\EventCreate.exe`,
		// "-" with no value: the key goes at uninstall
		"-": "",
	}
	for name, v := range want {
		if got, ok := reg[name]; !ok || got != v {
			t.Errorf("HKLM\\%s value %q: got %q (present %v), want %q", eventKey, name, got, ok, v)
		}
	}

	// The custom actions: CONFIG's default, LISTEN's argument, and the
	// deferred `service configure` as LocalSystem, whose failure fails the
	// install.
	m.wantRow(t, "CustomAction", "Action", "DefaultConfig", map[string]string{"Source": "CONFIG", "Target": "[DATADIR]telltale.yaml"})
	m.wantRow(t, "CustomAction", "Action", "ListenArg", map[string]string{"Source": "LISTENARG", "Target": ` --listen "[LISTEN]"`})
	m.wantRow(t, "CustomAction", "Action", "ConfigureService", map[string]string{
		"Source": "TelltaleExe", "Target": `service configure --config "[CONFIG]" --data "[DATADIR]."`,
	})
	for id, base := range map[string]int{"DefaultConfig": 51, "ListenArg": 51, "ConfigureService": 18} {
		if typ := m.int(t, "CustomAction", "Action", id, "Type"); typ&0x3f != base {
			t.Errorf("custom action %s: type %d, want base type %d", id, typ, base)
		}
	}
	const inScript, noImpersonate, continueOnError = 0x400, 0x800, 0x40
	if typ := m.int(t, "CustomAction", "Action", "ConfigureService", "Type"); typ&inScript == 0 || typ&noImpersonate == 0 || typ&continueOnError != 0 {
		t.Errorf("ConfigureService type %#x: want deferred (0x400), not impersonated (0x800), return checked (no 0x40)", typ)
	}
	m.checkSequence(t)
}

// checkSequence checks when the actions run: the old version goes before
// anything is installed (WiX's default for a major upgrade; left alone,
// wixl 0.101 puts RemoveExistingProducts after InstallServices), CONFIG's
// default is set once directories are known, and `service configure` runs after the files and the service are
// there and before the service starts, on install and repair, not removal.
func (m *msiTables) checkSequence(t *testing.T) {
	t.Helper()
	seq := map[string]int{}
	cond := map[string]string{}
	for _, r := range m.table(t, "InstallExecuteSequence") {
		n, err := strconv.Atoi(r["Sequence"])
		if err != nil {
			t.Fatalf("InstallExecuteSequence %s: sequence %q", r["Action"], r["Sequence"])
		}
		seq[r["Action"]], cond[r["Action"]] = n, r["Condition"]
	}
	order := [][]string{
		{"InstallValidate", "RemoveExistingProducts", "InstallInitialize"},
		{"CostFinalize", "DefaultConfig", "ListenArg", "InstallValidate"},
		{"InstallFiles", "WriteRegistryValues", "InstallServices", "ConfigureService", "StartServices", "InstallFinalize"},
	}
	for _, o := range order {
		for i := 1; i < len(o); i++ {
			a, b := seq[o[i-1]], seq[o[i]]
			if a == 0 || b == 0 || a >= b {
				t.Errorf("InstallExecuteSequence: %s (%d) must come before %s (%d)", o[i-1], a, o[i], b)
			}
		}
	}
	for action, want := range map[string]string{"DefaultConfig": "NOT CONFIG", "ListenArg": "LISTEN", "ConfigureService": `NOT REMOVE~="ALL"`} {
		if cond[action] != want {
			t.Errorf("%s condition: got %q, want %q", action, cond[action], want)
		}
	}
}

// TestMSI_CommandLinesTelltaleAccepts formats the service's and the custom
// action's command lines as Windows Installer does and runs them through
// telltale's own flag parsing (this platform's build: the flags are the
// same everywhere, and outside Windows `service` stops after them). A
// folder property ends in a backslash; right before a closing quote it
// would escape it, so none may be left there.
func TestMSI_CommandLinesTelltaleAccepts(t *testing.T) {
	pkg := buildMSI(t, "")
	m := openMSI(t, pkg)
	run := m.row(t, "ServiceInstall", "ServiceInstall", "TelltaleService")["Arguments"]
	configure := m.row(t, "CustomAction", "Action", "ConfigureService")["Target"]
	listenArg := m.row(t, "CustomAction", "Action", "ListenArg")["Target"]

	winProps := map[string]string{"DATADIR": `C:\ProgramData\Telltale\`, "CONFIG": `C:\ProgramData\Telltale\telltale.yaml`, "LISTEN": "127.0.0.1:3128"}
	winProps["LISTENARG"] = format(listenArg, winProps)
	for _, line := range []string{format(run, winProps), format(configure, winProps)} {
		if strings.Contains(line, `\"`) {
			t.Errorf("%s: a backslash escapes a quote", line)
		}
	}
	if got, want := splitArgs(format(run, winProps)), []string{"service", "run", "--config", `C:\ProgramData\Telltale\telltale.yaml`, "--data", `C:\ProgramData\Telltale\.`, "--listen", "127.0.0.1:3128"}; !slices.Equal(got, want) {
		t.Errorf("service command line: got %q, want %q", got, want)
	}

	exe := filepath.Join(t.TempDir(), "telltale")
	goBuild(t, exe, runtime.GOOS)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "telltale.yaml")
	if err := os.WriteFile(cfg, []byte("listen: 127.0.0.1:0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	props := map[string]string{"DATADIR": dir + string(filepath.Separator), "CONFIG": cfg, "LISTEN": "127.0.0.1:3128"}
	for _, listen := range []string{"127.0.0.1:3128", ""} {
		props["LISTEN"], props["LISTENARG"] = listen, ""
		if listen != "" {
			props["LISTENARG"] = format(listenArg, props)
		}
		for _, line := range []string{format(run, props), format(configure, props)} {
			out, err := exec.Command(exe, splitArgs(line)...).CombinedOutput()
			if runtime.GOOS == "windows" {
				t.Skip("on Windows these would run the service")
			}
			if err == nil || !strings.Contains(string(out), "telltale service is for Windows") {
				t.Errorf("telltale %s: %v\n%s\nwant its flags accepted and then `service` refused outside Windows", line, err, out)
			}
		}
	}
}

// format expands [NAME] as Windows Installer formats a property.
func format(s string, props map[string]string) string {
	for k, v := range props {
		s = strings.ReplaceAll(s, "["+k+"]", v)
	}
	return s
}

// splitArgs splits a command line on spaces outside double quotes, which
// is all these lines need (none has a backslash before a quote).
func splitArgs(s string) []string {
	var args []string
	var b strings.Builder
	quoted, started := false, false
	for _, c := range s {
		switch {
		case c == '"':
			quoted, started = !quoted, true
		case c == ' ' && !quoted:
			if started {
				args = append(args, b.String())
				b.Reset()
				started = false
			}
		default:
			b.WriteRune(c)
			started = true
		}
	}
	if started {
		args = append(args, b.String())
	}
	return args
}

// buildMSI runs build.sh, as CI does, into a temp dir; version "" takes
// build.sh's default.
func buildMSI(t *testing.T, version string) string {
	t.Helper()
	testtool.Need(t, "wixl", "msibuild", "msiinfo", "msiextract")
	out := filepath.Join(t.TempDir(), "telltale.msi")
	cmd := exec.Command("./build.sh", out)
	cmd.Env = os.Environ()
	if version != "" {
		cmd.Env = append(cmd.Env, "VERSION="+version)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, b)
	}
	return out
}

func goBuild(t *testing.T, out, goos string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, "./cmd/telltale")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
}

// msiTables reads a package's tables with msiinfo export.
type msiTables struct {
	path   string
	tables map[string][]map[string]string
}

func openMSI(t *testing.T, path string) *msiTables {
	t.Helper()
	return &msiTables{path: path, tables: map[string][]map[string]string{}}
}

// table is one table's rows, each column by name. msiinfo writes the
// table as an .idt file: column names, column types, the table's name and
// keys, then one tab-separated row a line.
func (m *msiTables) table(t *testing.T, name string) []map[string]string {
	t.Helper()
	if rows, ok := m.tables[name]; ok {
		return rows
	}
	out, err := exec.Command("msiinfo", "export", m.path, name).Output()
	if err != nil {
		t.Fatalf("msiinfo export %s: %v", name, err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\r\n"), "\r\n")
	if len(lines) < 3 {
		t.Fatalf("msiinfo export %s: %q is no table", name, out)
	}
	cols := strings.Split(lines[0], "\t")
	var rows []map[string]string
	for _, l := range lines[3:] {
		fields := strings.Split(l, "\t")
		r := map[string]string{}
		for i, c := range cols {
			if i < len(fields) {
				r[c] = fields[i]
			}
		}
		rows = append(rows, r)
	}
	m.tables[name] = rows
	return rows
}

// row is the row of table whose column key is value.
func (m *msiTables) row(t *testing.T, table, key, value string) map[string]string {
	t.Helper()
	for _, r := range m.table(t, table) {
		if r[key] == value {
			return r
		}
	}
	t.Fatalf("%s: no row with %s %q", table, key, value)
	return nil
}

func (m *msiTables) wantRow(t *testing.T, table, key, value string, want map[string]string) {
	t.Helper()
	r := m.row(t, table, key, value)
	for c, v := range want {
		if r[c] != v {
			t.Errorf("%s %s: %s is %q, want %q", table, value, c, r[c], v)
		}
	}
}

func (m *msiTables) int(t *testing.T, table, key, value, col string) int {
	t.Helper()
	n, err := strconv.Atoi(m.row(t, table, key, value)[col])
	if err != nil {
		t.Fatalf("%s %s: %s: %v", table, value, col, err)
	}
	return n
}

// checkFiles extracts the package: the default config is configs/
// telltale.yaml byte for byte, and telltale.exe a Windows program of the
// size the File table says.
func (m *msiTables) checkFiles(t *testing.T, pkg string) {
	t.Helper()
	dir := t.TempDir()
	if b, err := exec.Command("msiextract", "-C", dir, pkg).CombinedOutput(); err != nil {
		t.Fatalf("msiextract: %v\n%s", err, b)
	}
	// msiextract drops the standard folders (ProgramFiles64Folder,
	// CommonAppDataFolder): both files land in Telltale/.
	got, err := os.ReadFile(filepath.Join(dir, "Telltale", "telltale.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "configs", "telltale.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the packaged telltale.yaml differs from configs/telltale.yaml")
	}
	exe, err := os.ReadFile(filepath.Join(dir, "Telltale", "telltale.exe"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(exe, []byte("MZ")) || strconv.Itoa(len(exe)) != m.row(t, "File", "File", "TelltaleExe")["FileSize"] {
		t.Errorf("telltale.exe: %d bytes, starts %q; want a PE file of the File table's size", len(exe), exe[:min(2, len(exe))])
	}
}
