//go:build !windows

package wine

// Running reports whether this program runs under Wine: never, off Windows.
func Running() bool { return false }
