//go:build !windows

package main

import "github.com/telltale/telltale/configs"

// Outside Windows the service is systemd's (configs/telltale.service),
// which runs serve as a user of its own: these are never called there.

func secureService(string, *configs.Config, string) error { return errNotWindows }
func checkService(string, *configs.Config, string) error  { return errNotWindows }

// systemDir is "" outside Windows: no folder is the system's (a variable,
// so that tests can name one).
var systemDir = func() string { return "" }
