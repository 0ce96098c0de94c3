//go:build !unix

package main

import "os"

// reloadSignals: Windows has no SIGHUP. The service reloads on the SCM's
// paramchange control (service_windows.go); anywhere, POST /-/reload with
// the admin token reloads.
var reloadSignals []os.Signal
