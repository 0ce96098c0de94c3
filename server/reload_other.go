//go:build !unix

package server

import "os"

// reloadSignals: Windows has no SIGHUP. The service reloads on the SCM's
// paramchange control (cmd/telltale/service_windows.go); anywhere,
// POST /-/reload with the admin token reloads.
var reloadSignals []os.Signal
