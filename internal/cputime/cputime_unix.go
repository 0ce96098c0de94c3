//go:build unix

package cputime

import (
	"syscall"
	"time"
)

// Used is the user and system CPU time of this process so far; 0 when
// the platform cannot say.
func Used() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
