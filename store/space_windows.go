//go:build windows

package store

import (
	"errors"

	"golang.org/x/sys/windows"
)

// DiskFree is the space on dir's volume that this user may use (quotas
// included).
func DiskFree(dir string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, err
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, err
	}
	return avail, nil
}

// errNoSpace is the file system's own error for a full disk.
var errNoSpace error = windows.ERROR_DISK_FULL

// isNoSpace reports whether err says the disk is full: Windows has two
// codes for it, the second from writes through a handle
// (https://learn.microsoft.com/en-us/windows/win32/debug/system-error-codes--0-499-).
func isNoSpace(err error) bool {
	return errors.Is(err, windows.ERROR_DISK_FULL) || errors.Is(err, windows.ERROR_HANDLE_DISK_FULL) || errors.Is(err, ErrFull)
}
