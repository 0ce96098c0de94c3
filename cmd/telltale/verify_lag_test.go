package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/testbed"
)

// TestCLI_Verify_LateTimestamp: serve's checkpoint is time-stamped by a TSA
// whose clock is 18 minutes ahead, as a checkpoint signed with an earlier
// time than it was made would be. verify fails the store and the bundle
// with the default --max-lag and accepts them with a longer one, saying
// what the timestamp proves.
func TestCLI_Verify_LateTimestamp(t *testing.T) {
	v := newVendor(t)
	tsa, err := testbed.NewTSA(testbed.TSAOptions{Now: func() time.Time { return time.Now().Add(18 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	tsa.Start()
	t.Cleanup(func() { tsa.Close() })
	tsaCA := filepath.Join(t.TempDir(), "tsa-ca.pem")
	os.WriteFile(tsaCA, tsa.RootPEM(), 0o644)
	cfg, data := writeConfig(t, v, fmt.Sprintf("evidence:\n  checkpoint_interval: 1h\n  tsa_url: %s\n  tsa_ca_file: %s\n", tsa.URL(), tsaCA))
	loopbackAllowed(t, cfg, tsa.URL())
	addr, stop := startServeStop(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/ccid/upload", "a", `{"n":1}`)
	waitComplete(t, 1, "--data", data)
	stop() // signs and stamps the shutdown checkpoint
	if tsa.Granted() == 0 {
		t.Fatal("the TSA stamped nothing")
	}

	const late = "timestamp too far from the checkpoint's time: time-stamped at "
	out, _, code := cli(t, "verify", "--data", data, "--tsa-ca", tsaCA)
	if code != 1 || !strings.Contains(out, late) || !strings.Contains(out, "more than the 10m0s allowed (--max-lag)") {
		t.Errorf("verify --data: exit %d, want 1 with a late timestamp:\n%s", code, out)
	}
	out, _, code = cli(t, "verify", "--data", data, "--tsa-ca", tsaCA, "--max-lag", "30m")
	if code != 0 || !strings.Contains(out, "proven no later than ") {
		t.Errorf("verify --data --max-lag 30m: exit %d, want 0 saying what the timestamp proves:\n%s", code, out)
	}
	bundle := filepath.Join(t.TempDir(), "b.zip")
	if _, errOut, code := cli(t, "export", "-o", bundle, "--data", data); code != 0 {
		t.Fatalf("export: exit %d %s", code, errOut)
	}
	key := filepath.Join(data, "ca", "log.pub")
	if out, _, code := cli(t, "verify", bundle, "--key", key, "--tsa-ca", tsaCA); code != 1 ||
		!strings.Contains(out, "FAIL timestamps/") || !strings.Contains(out, late) {
		t.Errorf("verify bundle: exit %d, want 1 with a late timestamp:\n%s", code, out)
	}
	if out, _, code := cli(t, "verify", bundle, "--key", key, "--tsa-ca", tsaCA, "--max-lag", "30m"); code != 0 ||
		!strings.Contains(out, "proven no later than ") {
		t.Errorf("verify bundle --max-lag 30m: exit %d:\n%s", code, out)
	}
}
