package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// The MSI (packaging/msi/telltale.wxs) registers the service with this
// command line: a folder property ends in a backslash, which would escape
// the closing quote, so the data dir comes as "[DATADIR]." and LISTEN, when
// given, as --listen.
const msiCommandLine = `"C:\Program Files\Telltale\telltale.exe" service run --config "C:\ProgramData\Telltale\telltale.yaml" --data "C:\ProgramData\Telltale\." --listen "127.0.0.1:3128"`

func TestFindServiceSource_MSICommandLine(t *testing.T) {
	src := findServiceSource(func() (string, error) { return msiCommandLine, nil }, true)
	if src.file != `C:\ProgramData\Telltale\telltale.yaml` || src.data != `C:\ProgramData\Telltale\.` || src.listen != "127.0.0.1:3128" || !src.service {
		t.Errorf("got %+v, want the MSI's --config, --data and --listen", src)
	}
}

func TestServiceConfig_MSIDataDirIsCleaned(t *testing.T) {
	pd := t.TempDir()
	env := func(k string) string {
		if k == "ProgramData" {
			return pd
		}
		return ""
	}
	data := filepath.Join(pd, "Telltale") + string(filepath.Separator) + "."
	cfg, err := serviceConfig("", data, env)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(pd, "Telltale"); cfg.DataDir != want {
		t.Errorf("data dir: got %q, want %q", cfg.DataDir, want)
	}
}

func TestOverrideListen(t *testing.T) {
	cfg, err := serviceConfig("", "", func(string) string { return t.TempDir() })
	if err != nil {
		t.Fatal(err)
	}
	if err := overrideListen(cfg, ""); err != nil || cfg.Listen != "127.0.0.1:8080" {
		t.Errorf("no --listen: got %q, %v; want the config's 127.0.0.1:8080", cfg.Listen, err)
	}
	if err := overrideListen(cfg, "127.0.0.1:3128"); err != nil || cfg.Listen != "127.0.0.1:3128" {
		t.Errorf("--listen 127.0.0.1:3128: got %q, %v", cfg.Listen, err)
	}
	err = overrideListen(cfg, "no port")
	var u usageError
	if err == nil || !strings.Contains(err.Error(), "--listen") || !errors.As(err, &u) {
		t.Errorf("--listen 'no port': got %v, want a usage error naming --listen", err)
	}
}
