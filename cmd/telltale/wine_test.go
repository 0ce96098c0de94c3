package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/wine"
)

// The Windows-only tests of cmd/telltale (ACLs, the service's refusal)
// and doctor (LocalMachine\Root, WinHTTP) run as windows/amd64 test
// binaries under Wine (TELLTALE_WINE=1): their names start with
// TestWindows.
func TestWine_WindowsOnlyTests(t *testing.T) {
	wine.Require(t)
	bin := wine.TempDir(t)
	for _, pkg := range []string{"./cmd/telltale", "./doctor"} {
		t.Run(strings.Trim(pkg, "./"), func(t *testing.T) {
			exe := wine.Build(t, bin, pkg, true)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := wine.Command(ctx, exe, "-test.run", "^TestWindows", "-test.v")
			cmd.Env = append(cmd.Env, "TELLTALE_WINE=", "CI=") // Linux tools do not run inside Wine
			out, err := cmd.CombinedOutput()
			if err != nil || !regexp.MustCompile(`(?m)^PASS\r?$`).Match(out) || !strings.Contains(string(out), "--- PASS: TestWindows") {
				t.Fatalf("%s under Wine: %v\n%s", pkg, err, out)
			}
			t.Logf("%s", out)
		})
	}
}
