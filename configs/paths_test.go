package configs

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// Every relative path of a configuration file resolves against the
// file's folder, not the working directory (System32 for a service).
func TestResolvePaths_AgainstTheConfigFolder(t *testing.T) {
	c, err := Parse([]byte(`data_dir: data
log:
  file: logs/telltale.log
upstream:
  ca_file: certs/corp.pem
admin:
  tls_cert: tls/admin.pem
  tls_key: tls/admin-key.pem
evidence:
  tsa_url: https://tsa.example/
  tsa_ca_file: tsa.pem
  trusted_keys: [keys/log.pub, "telltale-log+0a1b2c3d+AQIDBA=="]
`))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c.ResolvePaths(dir)
	for _, tc := range []struct{ key, got, want string }{
		{"data_dir", c.DataDir, filepath.Join(dir, "data")},
		{"log.file", c.Log.File, filepath.Join(dir, "logs", "telltale.log")},
		{"upstream.ca_file", c.Upstream.CAFile, filepath.Join(dir, "certs", "corp.pem")},
		{"admin.tls_cert", c.Admin.TLSCert, filepath.Join(dir, "tls", "admin.pem")},
		{"admin.tls_key", c.Admin.TLSKey, filepath.Join(dir, "tls", "admin-key.pem")},
		{"evidence.tsa_ca_file", c.Evidence.TSACAFile, filepath.Join(dir, "tsa.pem")},
		{"evidence.trusted_keys[0]", c.Evidence.TrustedKeys[0], filepath.Join(dir, "keys", "log.pub")},
		{"evidence.trusted_keys[1]", c.Evidence.TrustedKeys[1], "telltale-log+0a1b2c3d+AQIDBA=="}, // a key, not a file
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.key, tc.got, tc.want)
		}
	}
}

func TestResolvePaths_KeepsAbsoluteAndEmpty(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "ca.pem")
	c, err := Parse([]byte("upstream:\n  ca_file: " + abs + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.ResolvePaths(t.TempDir())
	if c.Upstream.CAFile != abs || c.Log.File != "" || c.Admin.TLSCert != "" {
		t.Errorf("got ca_file %q log.file %q tls_cert %q; want %q and empty", c.Upstream.CAFile, c.Log.File, c.Admin.TLSCert, abs)
	}
	for _, p := range []string{`C:\x\ca.pem`, `\x\ca.pem`, "/x/ca.pem"} {
		if got := resolvePath("/cfg", p); got != p {
			t.Errorf("resolvePath(%q): got %q, want it kept", p, got)
		}
	}
}

// A double-quoted "C:\temp" is C:, a tab and "emp": refused, saying how
// to write it.
func TestParse_ControlCharacterInPath(t *testing.T) {
	cases := map[string]string{
		"upstream:\n  ca_file: \"C:\\temp\\a.pem\"\n":                              "upstream.ca_file",
		"log:\n  file: \"C:\\new\\telltale.log\"\n":                                "log.file",
		"data_dir: \"C:\\ProgramData\\bad\"\n":                                     "data_dir",
		"admin:\n  tls_cert: C:/x/a.pem\n  tls_key: \"C:\\rk.pem\"\n":              "admin.tls_key",
		"evidence:\n  tsa_url: https://t.example/\n  tsa_ca_file: \"C:\\t.pem\"\n": "evidence.tsa_ca_file",
	}
	for in, key := range cases {
		_, err := Parse([]byte(in))
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), key+":") ||
			!strings.Contains(err.Error(), "control character") || !strings.Contains(err.Error(), "single quotes") {
			t.Errorf("Parse(%q): got %v, want a control-character error naming %s", in, err, key)
		}
	}
	// Escapes YAML itself refuses ("C:\Users": \U wants hex digits) get the same hint.
	if _, err := Parse([]byte("upstream:\n  ca_file: \"C:\\Users\\ca.pem\"\n")); err == nil || !strings.Contains(err.Error(), "single quotes") {
		t.Errorf("a \\U escape: got %v, want the single-quotes hint", err)
	}
	// The same paths in single quotes, or with forward slashes, are fine.
	for _, in := range []string{"upstream:\n  ca_file: 'C:\\temp\\ca.pem'\n", "upstream:\n  ca_file: C:/temp/ca.pem\n", "upstream:\n  ca_file: C:\\temp\\ca.pem\n"} {
		if _, err := Parse([]byte(in)); err != nil {
			t.Errorf("Parse(%q): %v", in, err)
		}
	}
}
