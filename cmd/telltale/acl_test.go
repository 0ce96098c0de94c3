package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/telltale/telltale/configs"
)

// Without -c, install registers %ProgramData%\Telltale\telltale.yaml when it
// exists, so the service's command line names the file it reads.
func TestServiceSpec_RegistersTheDefaultConfig(t *testing.T) {
	pd := t.TempDir()
	t.Setenv("ProgramData", pd)
	home := filepath.Join(pd, "Telltale")
	spec, err := newServiceSpec(`C:\telltale.exe`, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(spec.Args, "--config") || spec.ConfigFile != "" {
		t.Errorf("no config file yet: got args %v, file %q; want no --config", spec.Args, spec.ConfigFile)
	}
	os.MkdirAll(home, 0o700)
	os.WriteFile(filepath.Join(home, "telltale.yaml"), []byte("others: deny\n"), 0o600)
	spec, err = newServiceSpec(`C:\telltale.exe`, "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(home, "telltale.yaml")
	if i := slices.Index(spec.Args, "--config"); i < 0 || spec.Args[i+1] != want || spec.ConfigFile != want || spec.Home != home {
		t.Errorf("got args %v, file %q, home %q; want --config %s", spec.Args, spec.ConfigFile, spec.Home, want)
	}
}

// The service checks every file it reads and its folder, and the folders it
// writes (data dir, log folder, %ProgramData%\Telltale).
func TestPathsOf_ListsWhatTheServiceUses(t *testing.T) {
	cfg, _ := configs.Parse(nil)
	root := t.TempDir()
	cfg.DataDir = filepath.Join(root, "data")
	cfg.Log.File = filepath.Join(root, "logs", "telltale.log")
	cfg.Upstream.CAFile = filepath.Join(root, "certs", "corp.pem")
	cfg.Admin.TLSCert, cfg.Admin.TLSKey = filepath.Join(root, "tls", "a.pem"), filepath.Join(root, "tls", "k.pem")
	home := filepath.Join(root, "Telltale")
	file := filepath.Join(home, "telltale.yaml")
	p := pathsOf(file, cfg, home)
	wantOwn := []string{home, cfg.DataDir, filepath.Join(root, "logs")}
	wantFiles := []string{file, cfg.Upstream.CAFile, cfg.Admin.TLSCert, cfg.Admin.TLSKey}
	if !slices.Equal(p.Own, wantOwn) || !slices.Equal(p.Files, wantFiles) {
		t.Errorf("got own %v files %v; want own %v files %v", p.Own, p.Files, wantOwn, wantFiles)
	}
	// The data dir being home is listed once.
	cfg.DataDir, cfg.Log.File = home, ""
	if p := pathsOf("", cfg, home); !slices.Equal(p.Own, []string{home}) {
		t.Errorf("data dir = home: got own %v", p.Own)
	}
	if !within(filepath.Join(home, "LOGS"), strings.ToUpper(home)) || within(home+"2", home) {
		t.Error("within: wrong")
	}
}

// Relative paths in a config file are relative to its folder, not to the
// working directory (System32 for a service).
func TestLoadConfig_RelativePathsBesideTheFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "conf")
	os.MkdirAll(dir, 0o700)
	file := filepath.Join(dir, "telltale.yaml")
	os.WriteFile(file, []byte("data_dir: data\nlog:\n  file: logs/telltale.log\nupstream:\n  ca_file: corp.pem\n"), 0o600)
	t.Chdir(t.TempDir()) // elsewhere
	cfg, err := loadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != filepath.Join(dir, "data") || cfg.Log.File != filepath.Join(dir, "logs", "telltale.log") || cfg.Upstream.CAFile != filepath.Join(dir, "corp.pem") {
		t.Errorf("got data %q log %q ca %q; want them under %s", cfg.DataDir, cfg.Log.File, cfg.Upstream.CAFile, dir)
	}
	// The service: a relative data_dir is still %ProgramData%\Telltale, the
	// other paths are beside the file.
	pd := t.TempDir()
	env := func(k string) string { return map[string]string{"ProgramData": pd}[k] }
	cfg, err = serviceConfig(file, "", env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != filepath.Join(pd, "Telltale") || cfg.Upstream.CAFile != filepath.Join(dir, "corp.pem") {
		t.Errorf("service: got data %q ca %q", cfg.DataDir, cfg.Upstream.CAFile)
	}
}

// `ca export -o NAME` from an elevated prompt, which starts in System32,
// is refused with a suggestion; elsewhere NAME is written in the current
// folder.
func TestCLI_CAExport_RefusesTheSystemFolder(t *testing.T) {
	data := t.TempDir()
	os.MkdirAll(filepath.Join(data, "ca"), 0o700)
	os.WriteFile(filepath.Join(data, "ca", "ca.pem"), []byte("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"), 0o644)
	sys := t.TempDir()
	old := systemDir
	systemDir = func() string { return sys }
	t.Cleanup(func() { systemDir = old })

	t.Chdir(sys)
	_, errOut, code := cli(t, "ca", "export", "--data", data, "-o", "telltale-ca.pem")
	if code != 2 || !strings.Contains(errOut, "full path") || !strings.Contains(errOut, sys) {
		t.Errorf("in the system folder: exit %d %q, want 2 naming it and asking for a full path", code, errOut)
	}
	if fileExists(filepath.Join(sys, "telltale-ca.pem")) {
		t.Error("wrote into the system folder")
	}
	// A full path from there is fine; so is a relative one elsewhere.
	out := filepath.Join(t.TempDir(), "ca.pem")
	if _, errOut, code := cli(t, "ca", "export", "--data", data, "-o", out); code != 0 || !fileExists(out) {
		t.Errorf("full path: exit %d %q", code, errOut)
	}
	here := t.TempDir()
	t.Chdir(here)
	if _, errOut, code := cli(t, "ca", "export", "--data", data, "-o", "ca.pem"); code != 0 || !fileExists(filepath.Join(here, "ca.pem")) || !strings.Contains(errOut, filepath.Join(here, "ca.pem")) {
		t.Errorf("relative elsewhere: exit %d %q, want it written to %s and named", code, errOut, here)
	}
}
