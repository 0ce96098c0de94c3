package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/internal/versitygw"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
	"github.com/telltale/telltale/testbed"
)

// demoSiteArchived runs days of a simulated license server (testbed, seed)
// through a real serve, stops it and archives its log under prefix; it
// returns the log key.
func demoSiteArchived(t *testing.T, srv *versitygw.Server, prefix string, seed int64, days int) string {
	t.Helper()
	las, err := testbed.NewLAS(testbed.LASOptions{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	las.Start()
	t.Cleanup(func() { las.Close() })
	cfg, err := demoConfig(filepath.Join(t.TempDir(), prefix), las)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Archive = configs.Archive{Endpoint: srv.Endpoint, Bucket: "evidence", Prefix: prefix,
		AccessKeyEnv: "TT_S3_ACCESS", SecretKeyEnv: "TT_S3_SECRET", Retention: configs.Duration(48 * 3600e9)}
	s, err := server.New(cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	if _, err := demoDrive(context.Background(), s, demoOptions{days: days, seed: seed}); err != nil {
		t.Fatal(err)
	}
	completeCaptures(t, s.Store, testbed.Expected(days))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s.Close()
	st, err := store.Open(cfg.DataDir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := server.OpenArchive(ctx, cfg, st, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(cfg.DataDir, "ca", "log.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(key))
}

func TestEstate_PositionSummedOverTwoSimulatedLicenseServers(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "evidence", true)
	versitygw.Env(t, "TT_S3_ACCESS", "TT_S3_SECRET")
	keyA := demoSiteArchived(t, srv, "siteA", 1, 8)
	keyB := demoSiteArchived(t, srv, "siteB", 2, 8)
	estateYAML := filepath.Join(t.TempDir(), "estate.yaml")
	os.WriteFile(estateYAML, []byte(fmt.Sprintf(`archive: {endpoint: %s, bucket: evidence, access_key_env: TT_S3_ACCESS, secret_key_env: TT_S3_SECRET}
logs:
  - {name: A, key: %q, prefix: siteA}
  - {name: B, key: %q, prefix: siteB}
`, srv.Endpoint, keyA, keyB)), 0o644)
	if out, errOut, code := cli(t, "estate", "-c", estateYAML); code != 0 || strings.Count(out, "verified") != 2 {
		t.Fatalf("estate: exit %d\n%s%s", code, out, errOut)
	}

	// Each server's position as `telltale position` gives it, on the
	// restored data dir; the estate's sum is theirs.
	cache := t.TempDir()
	out, errOut, code := cli(t, "estate", "position", "-c", estateYAML, "--data", cache, "--days", "8")
	if code != 0 || !strings.Contains(out, "all (A, B)") {
		t.Fatalf("estate position: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("estate position:\n%s", out)
	sum := regexp.MustCompile(`(?m)^(\S+) .*all \(A, B\)\s+(\S+)\s+(\S+)$`).FindAllStringSubmatch(out, -1)
	if len(sum) == 0 {
		t.Fatalf("no summed license in:\n%s", out)
	}
	for _, m := range sum {
		code, inst, peak := m[1], m[2], m[3]
		var a, b [2]float64
		for i, dir := range []string{"01", "02"} {
			pos, err := positionOf(filepath.Join(cache, dir), 8)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range pos.Licenses {
				if l.Code == code && l.Installed != nil && l.Peak != nil {
					a[i], b[i] = l.Installed.Value, l.Peak.Value
				}
			}
		}
		if want := fmt.Sprintf("%g", a[0]+a[1]); inst != want {
			t.Errorf("%s installed: got %s, want %s (A %g + B %g)", code, inst, want, a[0], a[1])
		}
		if want := fmt.Sprintf("%g", b[0]+b[1]); peak != want {
			t.Errorf("%s peak: got %s, want %s", code, peak, want)
		}
	}
	if out, _, code := cli(t, "verify", "--data", filepath.Join(cache, "01")); code != 0 {
		t.Errorf("telltale verify of a restored data dir: exit %d\n%s", code, out)
	}
	if items := listJSON(t, "--data", filepath.Join(cache, "02"), "--limit", "1000"); len(items) != testbed.Expected(8) {
		t.Errorf("list of a restored data dir: %d captures, want %d", len(items), testbed.Expected(8))
	}
}
