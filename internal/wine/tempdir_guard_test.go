package wine

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// tempDirCall is a t.TempDir() (or tb., b.) call: under Wine 8 its cleanup
// fails ("unlinkat ...: Invalid function"), so the packages whose tests run
// as Windows binaries use TempDir instead.
var tempDirCall = regexp.MustCompile(`\b(t|tb|b)\.TempDir\(\)`)

// Runs everywhere, so that a new test with t.TempDir in one of
// windowsPackages fails at once on Linux, not only in CI's Wine run.
func TestWindowsPackages_UseWineTempDir(t *testing.T) {
	for _, pkg := range windowsPackages {
		files, err := filepath.Glob(filepath.Join(repoRoot(), pkg, "*_test.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no test files (%v)", pkg, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, loc := range tempDirCall.FindAllIndex(b, -1) {
				line := 1 + bytes.Count(b[:loc[0]], []byte("\n"))
				t.Errorf("%s:%d: use wine.TempDir(t), not t.TempDir(): its cleanup fails under Wine", filepath.Join(pkg, filepath.Base(f)), line)
			}
		}
	}
}
