package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLI_Serve_RefusesZeroUpstreamTimeout: upstream.timeout: 0s used to
// mean 60s without a word; it is refused, naming the key, as are bad
// intercept.on_client_refusal settings.
func TestCLI_Serve_RefusesZeroUpstreamTimeout(t *testing.T) {
	for yaml, key := range map[string]string{
		"upstream:\n  timeout: 0s\n":                                     "upstream.timeout: 0s: must be a positive duration",
		"intercept:\n  on_client_refusal: allow\n":                       "intercept.on_client_refusal",
		"intercept:\n  refusal_tunnel_for: 1s\n":                         "intercept.refusal_tunnel_for",
		"intercept:\n  on_client_refusal: tunnel\n  refusal_limit: -1\n": "intercept.refusal_limit",
	} {
		cfg := filepath.Join(t.TempDir(), "telltale.yaml")
		os.WriteFile(cfg, []byte("data_dir: "+filepath.Join(t.TempDir(), "d")+"\nlisten: 127.0.0.1:0\nadmin:\n  listen: 127.0.0.1:0\n"+yaml), 0o644)
		_, errOut, code := cli(t, "serve", "-c", cfg)
		if code != 2 || !strings.Contains(errOut, key) {
			t.Errorf("%q: exit %d %q, want 2 naming %s", yaml, code, errOut, key)
		}
	}
}
