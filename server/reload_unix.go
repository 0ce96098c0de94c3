//go:build unix

package server

import (
	"os"
	"syscall"
)

// reloadSignals make serve reload its configuration: SIGHUP, as daemons do.
var reloadSignals = []os.Signal{syscall.SIGHUP}
