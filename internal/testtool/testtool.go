// Package testtool finds the programs that tests run beside Go (jq,
// openssl, curl, python3, node): without one a test skips on a developer's
// machine, but fails in CI (CI=true), so that CI never passes by skipping
// what it was meant to check. .ci/run installs each.
package testtool

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// InCI reports whether the tests run in CI, where nothing may skip for a
// missing tool.
func InCI() bool { return os.Getenv("CI") == "true" }

// Need returns the path of each named program, in order; one that is not
// on PATH skips the test, or fails it in CI.
func Need(tb testing.TB, names ...string) []string {
	tb.Helper()
	paths := make([]string, len(names))
	var missing []string
	for i, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			missing = append(missing, n)
		}
		paths[i] = p
	}
	if len(missing) > 0 {
		Missing(tb, "needs "+strings.Join(missing, ", ")+" on PATH (.ci/run installs it)")
	}
	return paths
}

// Missing skips the test for a missing tool, saying why, or fails it in CI.
func Missing(tb testing.TB, why string) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("CI=true: %s", why)
	}
	tb.Skip(why)
}
