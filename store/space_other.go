//go:build !unix && !windows

package store

import (
	"errors"
	"syscall"
)

// diskFree cannot measure here: the log preallocates whole segments.
func diskFree(string) (uint64, error) { return 0, errors.ErrUnsupported }

var errNoSpace error = syscall.ENOSPC

func isNoSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) || errors.Is(err, ErrFull) }
