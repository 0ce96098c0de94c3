package main

import (
	"path/filepath"
	"strings"

	"github.com/telltale/telltale/configs"
)

// What the Windows service reads must be out of reach of anyone but
// Administrators: the service runs as LocalSystem, and its config decides
// what it trusts (upstream.ca_file), where it writes and what it forwards.
// %ProgramData% lets every user create a folder, and whoever creates one
// owns it, so a user could pre-create %ProgramData%\Telltale and put a
// telltale.yaml of their own there. acl_windows.go locks Telltale's own
// folders down at install and checks every file and folder at each start
// of `service run`; this file lists them, so that the list is tested on
// every platform.

// servicePaths are the files and folders the service reads or writes.
type servicePaths struct {
	// Own are Telltale's own folders (the data dir, %ProgramData%\Telltale,
	// and the log folder, or any other folder install creates): install
	// gives them to Administrators with an access list of SYSTEM and
	// Administrators only.
	Own []string
	// Files are the files it reads (the config file, CA and TLS files);
	// they and their folders must already be secure: install does not
	// change a folder it did not make, which may be C:\ or a user's own.
	Files []string
}

// pathsOf lists what the service with cfg, read from file ("" for the
// embedded default), uses; home is %ProgramData%\Telltale. Paths are
// absolute, as serviceConfig leaves them.
func pathsOf(file string, cfg *configs.Config, home string) servicePaths {
	p := servicePaths{Own: []string{home, cfg.DataDir}}
	if cfg.Log.File != "" {
		p.Own = append(p.Own, filepath.Dir(cfg.Log.File))
	}
	for _, f := range []string{file, cfg.Upstream.CAFile, cfg.Evidence.TSACAFile, cfg.Admin.TLSCert, cfg.Admin.TLSKey} {
		if f != "" {
			p.Files = append(p.Files, f)
		}
	}
	p.Own = dedupFolders(p.Own)
	return p
}

// within reports whether path is dir or inside it, ignoring case as
// Windows does.
func within(path, dir string) bool {
	path, dir = strings.ToLower(filepath.Clean(path)), strings.ToLower(filepath.Clean(dir))
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}

func dedupFolders(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		seen := false
		for _, o := range out {
			seen = seen || strings.EqualFold(filepath.Clean(o), filepath.Clean(d))
		}
		if !seen {
			out = append(out, d)
		}
	}
	return out
}
