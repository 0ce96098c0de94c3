package cputime

import (
	"syscall"
	"time"
)

// Used is the user and kernel CPU time of this process so far; 0 when
// the platform cannot say.
func Used() time.Duration {
	h, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0
	}
	var created, exited, kernel, user syscall.Filetime
	if err := syscall.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		return 0
	}
	// Filetimes count 100 ns intervals; Nanoseconds() would take them as
	// a time since 1601.
	ticks := func(f syscall.Filetime) int64 { return int64(f.HighDateTime)<<32 | int64(f.LowDateTime) }
	return time.Duration((ticks(kernel) + ticks(user)) * 100)
}
