//go:build !linux

package tmpfs

import (
	"errors"
	"syscall"
	"testing"
)

// Mount skips: tmpfs is Linux's. Tests that must also run elsewhere
// (under Wine) simulate the full disk instead.
func Mount(tb testing.TB, size int64) string {
	tb.Helper()
	tb.Skip("skipped: no tmpfs to fill on this platform")
	return ""
}

// Free cannot measure here.
func Free(string) (uint64, error) { return 0, errors.ErrUnsupported }

// NoSpace reports whether err says the disk is full.
func NoSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }
