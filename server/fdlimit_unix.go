//go:build unix

package server

import "syscall"

// fdLimit is the process's open file limit (Go raises the soft limit to
// the hard one at start).
func fdLimit() (uint64, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, false
	}
	return r.Cur, true
}
