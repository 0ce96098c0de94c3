package configs

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Paths in a configuration file are relative to the file's folder, not to
// the working directory: a Windows service starts in System32, and a
// systemd unit wherever its WorkingDirectory says. cmd/telltale calls
// ResolvePaths with the file's folder after Parse; the embedded default
// names no file, and its one path, data_dir, stays relative to the working
// directory (serve) or becomes %ProgramData%\Telltale (the service).

// pathKeys lists every key holding a file or folder path, with a pointer
// to its value: the keys ResolvePaths resolves and checkPaths checks.
func (c *Config) pathKeys() []pathKey {
	keys := []pathKey{
		{"data_dir", &c.DataDir},
		{"log.file", &c.Log.File},
		{"upstream.ca_file", &c.Upstream.CAFile},
		{"evidence.tsa_ca_file", &c.Evidence.TSACAFile},
		{"admin.tls_cert", &c.Admin.TLSCert},
		{"admin.tls_key", &c.Admin.TLSKey},
	}
	for i := range c.Evidence.TrustedKeys {
		if !looksLikeKey(c.Evidence.TrustedKeys[i]) { // a file holding a log.pub line
			keys = append(keys, pathKey{fmt.Sprintf("evidence.trusted_keys[%d]", i), &c.Evidence.TrustedKeys[i]})
		}
	}
	return keys
}

type pathKey struct {
	key string
	v   *string
}

// looksLikeKey tells a log verifier key (name+hash+key, the note format)
// from a file name in evidence.trusted_keys.
func looksLikeKey(s string) bool {
	return strings.Count(s, "+") >= 2 && !strings.ContainsAny(s, `/\`)
}

// ResolvePaths makes every relative path in c absolute against dir, the
// folder of the configuration file c was read from. Absolute paths, and
// on Windows paths with a drive or rooted at "\", are kept.
func (c *Config) ResolvePaths(dir string) {
	for _, k := range c.pathKeys() {
		*k.v = resolvePath(dir, *k.v)
	}
}

func resolvePath(dir, p string) string {
	if p == "" || dir == "" || filepath.IsAbs(p) || filepath.VolumeName(p) != "" || strings.HasPrefix(p, `\`) || strings.HasPrefix(p, "/") || hasDrive(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// checkPaths refuses a path with a control character: in a double-quoted
// YAML string "C:\temp" is C: TAB emp, and "C:\new" holds a newline.
func (c *Config) checkPaths() error {
	for _, k := range c.pathKeys() {
		if i := strings.IndexFunc(*k.v, isControl); i >= 0 {
			return &KeyError{k.key, fmt.Sprintf("%q holds a control character (%U): in double quotes YAML reads \\t, \\n, \\r, \\b... as escapes. "+
				"Write Windows paths in single quotes ('C:\\temp\\ca.pem'), unquoted, or with forward slashes (C:/temp/ca.pem)", *k.v, rune((*k.v)[i]))}
		}
	}
	return nil
}

// hasDrive reports a Windows drive path (C:\x, C:/x) on any platform, so
// that a file written for Windows is not joined to a Linux folder.
func hasDrive(p string) bool {
	return len(p) >= 3 && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z') && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// escapeHint is added to YAML's own errors about escapes, which a Windows
// path in double quotes causes ("C:\Users": \U wants eight hex digits).
func escapeHint(msg string) string {
	if strings.Contains(msg, "escape character") || strings.Contains(msg, "hexdecimal number") {
		return msg + ` (a Windows path in double quotes? Backslashes start escapes there: write it in single quotes, 'C:\Telltale\ca.pem', or with forward slashes)`
	}
	return msg
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
