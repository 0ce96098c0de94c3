//go:build unix

package store

import (
	"errors"

	"golang.org/x/sys/unix"
)

// DiskFree is the space on dir's file system that this user may use.
func DiskFree(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

// errNoSpace is the file system's own error for a full disk.
var errNoSpace error = unix.ENOSPC

// isNoSpace reports whether err says the disk is full (or the quota).
func isNoSpace(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) || errors.Is(err, ErrFull)
}
