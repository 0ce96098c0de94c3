//go:build !windows

package main

import "errors"

// installedServiceCommandLine: there is no Windows service off Windows
// (systemd's unit names its -c itself).
func installedServiceCommandLine() (string, error) {
	return "", errors.New("no Windows service manager")
}
