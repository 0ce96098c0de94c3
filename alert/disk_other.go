//go:build !unix && !windows

package alert

import "errors"

// DiskFree is not available on this platform.
func DiskFree(string) (uint64, error) {
	return 0, errors.New("free disk space: not supported on this platform")
}
