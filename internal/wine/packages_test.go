package wine

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// The packages whose own tests run under Wine as windows/amd64 test
// binaries: the store (file semantics: directory sync, renaming open files),
// the CA's files, the proxy through real sockets, and the owner of a
// connection read from the live TCP table (GetExtendedTcpTable).
var windowsPackages = []string{"store", "certs", "proxy", "proxy/owner"}

// passed is go test's last line when every test passed.
var passed = regexp.MustCompile(`(?m)^PASS\r?$`)

func TestWindowsBuild_PackageTestsPassUnderWine(t *testing.T) {
	Require(t)
	root := repoRoot()
	bin := t.TempDir()
	for _, pkg := range windowsPackages {
		t.Run(pkg, func(t *testing.T) {
			exe := Build(t, bin, "./"+pkg, true)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			cmd := Command(ctx, exe, "-test.timeout=9m")
			cmd.Dir = filepath.Join(root, pkg) // testdata/ is relative to the package
			// No Wine inside Wine; and the tools some tests need (curl,
			// jq, openssl) are Linux programs the Windows binary cannot
			// run: there they skip, as they would locally, not fail.
			cmd.Env = append(cmd.Env, "TELLTALE_WINE=", "CI=")
			out, err := cmd.CombinedOutput()
			if err != nil || !passed.Match(out) {
				t.Fatalf("%s tests under Wine: %v\n%s", pkg, err, tail(out, 8000))
			}
		})
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
