//go:build windows

package main

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// installedServiceCommandLine is the command line the service manager
// starts for the Telltale service (sc qc Telltale: BINARY_PATH_NAME). It
// calls QueryServiceConfig itself, with only the rights to read the
// configuration: mgr.Connect asks for every right (an elevated prompt),
// and mgr's Service.Config also queries extended settings, which Wine 8
// refuses ("Invalid level").
func installedServiceCommandLine() (string, error) {
	m, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return "", fmt.Errorf("service manager: %w", err)
	}
	defer windows.CloseServiceHandle(m)
	name, err := windows.UTF16PtrFromString(serviceName)
	if err != nil {
		return "", err
	}
	s, err := windows.OpenService(m, name, windows.SERVICE_QUERY_CONFIG)
	if err != nil {
		return "", fmt.Errorf("the %s service: %w", serviceName, err)
	}
	defer windows.CloseServiceHandle(s)
	var need uint32
	err = windows.QueryServiceConfig(s, nil, 0, &need)
	if !errors.Is(err, windows.ERROR_INSUFFICIENT_BUFFER) {
		return "", fmt.Errorf("query the %s service: %w", serviceName, err)
	}
	buf := make([]byte, need)
	cfg := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&buf[0]))
	if err := windows.QueryServiceConfig(s, cfg, need, &need); err != nil {
		return "", fmt.Errorf("query the %s service: %w", serviceName, err)
	}
	return windows.UTF16PtrToString(cfg.BinaryPathName), nil
}
