package main

import (
	"strings"
	"testing"
	"time"
)

// serve prunes in the background; verify then reports the pruned bodies as
// notes, not failures, and show says why a body is gone.
func TestServe_RetentionPrunesThenVerifySaysPruned(t *testing.T) {
	defer func(d time.Duration) { firstPrune = d }(firstPrune)
	firstPrune = 300 * time.Millisecond
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "capture:\n  retention:\n    max_bytes: 1\n")
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	post(t, c, "https://las.cloud.com/ccid/netscalerfixedbw/customerentitlements", "a", `{"ver":"1.0","platform":"x"}`)
	items := waitComplete(t, 1, "--data", data)
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _, _ := cli(t, "show", "--id", string(items[0].ID), "--data", data, "--json")
		if strings.Contains(out, `"pruned": true`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no body pruned 10s after start with max_bytes: 1:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()

	if _, errOut, code := cli(t, "show", "--id", string(items[0].ID), "--data", data, "--body", "request"); code == 0 || !strings.Contains(errOut, "pruned by retention") {
		t.Errorf("show --body of a pruned body: exit %d %q, want an error saying it was pruned", code, errOut)
	}
	out, errOut, code := cli(t, "verify", "--data", data)
	if code != 0 || !strings.Contains(out+errOut, "pruned") {
		t.Errorf("verify after pruning: exit %d, want 0 with the pruned bodies noted:\n%s%s", code, out, errOut)
	}
}
