package main

import (
	"errors"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// Without -c, doctor checks the configuration the installed service runs
// with, read from the command line the service manager starts, not the
// embedded default.
func TestCLI_Doctor_ChecksTheInstalledServicesConfig(t *testing.T) {
	v := newVendor(t)
	cfg, _ := writeConfig(t, v, "")
	data := filepath.Join(t.TempDir(), "service data")
	t.Setenv("ProgramData", t.TempDir())
	old := serviceCommandLine
	serviceCommandLine = func() (string, error) {
		return `"C:\Program Files\Telltale\telltale.exe" service run --config "` + cfg + `" --data "` + data + `"`, nil
	}
	t.Cleanup(func() { serviceCommandLine = old })
	lines, _ := doctorLines(t)
	wantLine(t, lines, "ok", "config", regexp.QuoteMeta(cfg)+` \(the installed Telltale service's, from its command line\) is valid; data dir `+regexp.QuoteMeta(data))
	wantLine(t, lines, "ok", "upstream", `las.cloud.com via upstream.resolve`) // the service's config, not the default
}

func TestFindServiceSource(t *testing.T) {
	none := func() (string, error) { return "", errors.New("not installed") }
	if src := findServiceSource(none, false); src != (serviceSource{}) {
		t.Errorf("no service, not Windows: got %+v, want the embedded default", src)
	}
	if src := findServiceSource(none, true); !src.service || src.file != "" || src.from == "" {
		t.Errorf("no service on Windows: got %+v, want the service's default lookup", src)
	}
	line := func() (string, error) { return `C:\telltale.exe service run -c C:\t.yaml`, nil }
	if src := findServiceSource(line, true); src.file != `C:\t.yaml` || src.data != "" || !src.service {
		t.Errorf("-c: got %+v", src)
	}
}

// The service manager stores the command line with Windows quoting
// (syscall.EscapeArg); splitCommandLine undoes it as CommandLineToArgvW.
func TestSplitCommandLine(t *testing.T) {
	cases := map[string][]string{
		`"C:\Program Files\Telltale\telltale.exe" service run --config "C:\Program Data\t.yaml"`: {`C:\Program Files\Telltale\telltale.exe`, "service", "run", "--config", `C:\Program Data\t.yaml`},
		`a\\b "c\\" d`:       {`a\\b`, `c\`, "d"},
		`x "a \"b\" c"  y`:   {"x", `a "b" c`, "y"},
		`p\\\"q ""`:          {`p\"q`, ""},
		`  --data   C:\d\  `: {"--data", `C:\d\`},
	}
	for in, want := range cases {
		if got := splitCommandLine(in); !slices.Equal(got, want) {
			t.Errorf("splitCommandLine(%s): got %q, want %q", in, got, want)
		}
	}
}
