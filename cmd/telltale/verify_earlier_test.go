package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLI_Verify_EarlierAndTrustedKeys: a checkpoint kept from the log
// verifies with --earlier, against a bundle and the store; one of a second
// history signed by the same key is FORKED. evidence.trusted_keys stands
// for --key.
func TestCLI_Verify_EarlierAndTrustedKeys(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	exchangeAndStop := func(dir, id, body string, n int) {
		t.Helper()
		addr, stop := startServeStop(t, "-c", cfg, "--data", dir)
		post(t, proxyClient(t, addr, dir), "https://las.cloud.com/x", id, body)
		waitComplete(t, n, "--data", dir)
		stop() // signs a checkpoint
	}
	exchangeAndStop(data, "a", `{"n":1}`, 1)
	tmp := t.TempDir()
	genuine := keepCheckpoint(t, data, filepath.Join(tmp, "genuine.txt"))
	fork := filepath.Join(tmp, "fork")
	copyTree(t, data, fork)
	exchangeAndStop(data, "b", `{"n":2}`, 2)
	exchangeAndStop(fork, "c", `{"n":666}`, 2) // another history, the same key
	forked := keepCheckpoint(t, fork, filepath.Join(tmp, "forked.txt"))

	bundle := filepath.Join(tmp, "b.zip")
	if _, errOut, code := cli(t, "export", "-o", bundle, "--data", data); code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	vkey := filepath.Join(data, "ca", "log.pub")
	trusted := filepath.Join(tmp, "trusted.yaml")
	os.WriteFile(trusted, []byte("evidence:\n  trusted_keys: ["+vkey+"]\n"), 0o644)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bundle, genuine", []string{bundle, "--key", vkey, "--earlier", genuine}, 0, "  kept        1 checkpoints you kept (--earlier), each extended by this one\n"},
		{"bundle, forked", []string{bundle, "--key", vkey, "--earlier", forked}, 1, "FAIL " + forked + ": FORKED: it signs tree size 6 with root hash "},
		{"store, genuine", []string{"--data", data, "--earlier", genuine}, 0, "; 1 kept checkpoints (--earlier) extended by the log\n"},
		{"store, forked", []string{"--data", data, "--earlier", forked}, 1, "FAIL " + forked + ": FORKED: it signs tree size 6 with root hash "},
		{"bundle, trusted_keys", []string{bundle, "-c", trusted}, 0, "ok: " + bundle + " verifies\n"},
	}
	for _, tc := range cases {
		out, errOut, code := cli(t, append([]string{"verify"}, tc.args...)...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d %q %q, want %d and %q", tc.name, code, out, errOut, tc.code, tc.want)
		}
	}
}

// keepCheckpoint writes the log's latest signed checkpoint to a file, as
// a user keeps it outside the machine.
func keepCheckpoint(t *testing.T, data, path string) string {
	t.Helper()
	out, errOut, code := cli(t, "checkpoint", "--data", data)
	if code != 0 {
		t.Fatalf("checkpoint: %s", errOut)
	}
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
