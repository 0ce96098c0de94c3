//go:build !windows

package main

import "errors"

// errNotWindows is what `telltale service` says outside Windows.
var errNotWindows = usage(errors.New("telltale service is for Windows; on Linux run `telltale serve` under systemd: " +
	"install configs/telltale.service as /etc/systemd/system/telltale.service (see README, Deployment)"))

func runService(string, *serviceHost) error { return errNotWindows }
func installService(serviceSpec) error      { return errNotWindows }
func configureService(serviceSpec) error    { return errNotWindows }
func uninstallService(string) error         { return errNotWindows }
func startService(string) error             { return errNotWindows }
func stopService(string) error              { return errNotWindows }
