// Package wine runs Telltale's Windows build under Wine 8 for tests, so
// that the license server's own platform is exercised on Linux CI.
//
// From the Linux side, Require skips a test unless TELLTALE_WINE=1 (and
// fails it when CI=true asked for Wine and Wine is missing), Build
// cross-compiles a package for windows/amd64, and Command runs a program
// under Wine through the run script beside this file, which builds the
// stand-in bcryptprimitives.dll (Go needs ProcessPrng; Wine 8 lacks it).
//
// Inside a test binary compiled for Windows, TempDir replaces t.TempDir:
// under Wine 8, Go 1.26's os.RemoveAll fails with "Invalid function", so
// t.TempDir's cleanup fails tests that real Windows would pass. That limit
// is Wine's, not the product's, so the workaround lives here, in tests only.
//
// A pass under Wine is necessary, not sufficient: Wine is not Windows.
package wine
