//go:build unix

package main

import (
	"os"
	"syscall"
)

// reloadSignals make serve reload its configuration: SIGHUP, as daemons do.
var reloadSignals = []os.Signal{syscall.SIGHUP}
