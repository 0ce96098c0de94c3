// Package msi holds Telltale's Windows Installer package: telltale.wxs,
// the WiX source, and build.sh, which cross-compiles telltale.exe and
// builds telltale.msi with wixl (msitools) on Linux. Its tests build the
// package, read its tables back with msiinfo and check that the command
// lines it registers are ones telltale accepts, and, under Wine, install
// it, run the service it registers and uninstall it again.
package msi
