//go:build !unix && !windows

package store

import (
	"errors"
	"syscall"
)

// DiskFree cannot measure here: the log preallocates whole segments.
func DiskFree(string) (uint64, error) { return 0, errors.ErrUnsupported }

var errNoSpace error = syscall.ENOSPC

func isNoSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) || errors.Is(err, ErrFull) }
