package wine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Require skips tb unless TELLTALE_WINE=1 asks for the Wine tests. Asked
// for, a missing wine64 or mingw fails the test rather than skipping it.
func Require(tb testing.TB) {
	tb.Helper()
	if os.Getenv("TELLTALE_WINE") != "1" {
		tb.Skip("set TELLTALE_WINE=1 to run the Windows build under Wine (needs wine64 and gcc-mingw-w64-x86-64)")
	}
	if runtime.GOOS != "linux" {
		tb.Skip("the Wine tests drive Wine from Linux")
	}
	for _, tool := range []string{"x86_64-w64-mingw32-gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("TELLTALE_WINE=1 but %s is missing: apt-get install gcc-mingw-w64-x86-64", tool)
		}
	}
	if wineBinary() == "" {
		tb.Fatal("TELLTALE_WINE=1 but wine64 is missing: apt-get install wine64")
	}
}

func wineBinary() string {
	if _, err := os.Stat("/usr/lib/wine/wine64"); err == nil {
		return "/usr/lib/wine/wine64"
	}
	for _, name := range []string{"wine64", "wine"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Build cross-compiles the package pkg (an import path, or a directory
// relative to the module's root) for windows/amd64 into dir and returns the
// program's path. test makes it a test binary (go test -c) instead.
func Build(tb testing.TB, dir, pkg string, test bool) string {
	tb.Helper()
	out := filepath.Join(dir, strings.ReplaceAll(strings.Trim(pkg, "./"), "/", "_")+".exe")
	args := []string{"build", "-o", out, pkg}
	if test {
		args = []string{"test", "-c", "-o", out, pkg}
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go %s for windows/amd64: %v\n%s", strings.Join(args, " "), err, b)
	}
	return out
}

// Command returns a command that runs the Windows program exe under Wine,
// in its own Wine prefix (TELLTALE_WINEPREFIX, else ~/.wine-telltale).
// Paths passed in args are the program's: Linux paths work through Wine's
// Z: drive (see Path).
func Command(ctx context.Context, exe string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, runScript(), append([]string{exe}, args...)...)
	cmd.Env = append(os.Environ(), "WINEDEBUG=-all")
	if p := os.Getenv("TELLTALE_WINEPREFIX"); p != "" {
		cmd.Env = append(cmd.Env, "WINEPREFIX="+p)
	}
	return cmd
}

// Path is the Windows name of a Linux path, through Wine's Z: drive.
func Path(linux string) string {
	abs, err := filepath.Abs(linux)
	if err != nil {
		abs = linux
	}
	return `Z:` + strings.ReplaceAll(abs, "/", `\`)
}

// runScript is the run script beside this file.
func runScript() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "run")
}

// repoRoot is the module's root, two levels above this file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
