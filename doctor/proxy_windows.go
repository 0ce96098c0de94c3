//go:build windows

package doctor

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	winhttp             = windows.NewLazySystemDLL("winhttp.dll")
	getDefaultProxy     = winhttp.NewProc("WinHttpGetDefaultProxyConfiguration")
	globalFree          = windows.NewLazySystemDLL("kernel32.dll").NewProc("GlobalFree")
	winhttpNoProxy      = uint32(1) // WINHTTP_ACCESS_TYPE_NO_PROXY
	winhttpNamedProxy   = uint32(3) // WINHTTP_ACCESS_TYPE_NAMED_PROXY
	winhttpDefaultProxy = uint32(0) // WINHTTP_ACCESS_TYPE_DEFAULT_PROXY
)

// winhttpProxyInfo is WINHTTP_PROXY_INFO.
type winhttpProxyInfo struct {
	AccessType uint32
	Proxy      *uint16
	Bypass     *uint16
}

// checkProxy reports the machine's WinHTTP proxy against Telltale's listen
// address, and what it cannot check.
func (d *doctor) checkProxy() {
	p, err := readWinHTTPProxy()
	if err != nil {
		d.line(checkWarn, "proxy", "cannot read the WinHTTP proxy: %v%s", err, proxyCannot)
		return
	}
	status, msg := proxyVerdict(p, d.cfg.Listen)
	d.line(status, "proxy", "%s", msg)
}

// readWinHTTPProxy is what `netsh winhttp show proxy` shows, through
// WinHttpGetDefaultProxyConfiguration
// (https://learn.microsoft.com/windows/win32/api/winhttp/nf-winhttp-winhttpgetdefaultproxyconfiguration).
func readWinHTTPProxy() (winHTTPProxy, error) {
	var info winhttpProxyInfo
	if r, _, err := getDefaultProxy.Call(uintptr(unsafe.Pointer(&info))); r == 0 {
		return winHTTPProxy{}, fmt.Errorf("WinHttpGetDefaultProxyConfiguration: %w", err)
	}
	p := winHTTPProxy{Proxy: windows.UTF16PtrToString(info.Proxy), Bypass: windows.UTF16PtrToString(info.Bypass)}
	for _, s := range []*uint16{info.Proxy, info.Bypass} {
		if s != nil {
			globalFree.Call(uintptr(unsafe.Pointer(s)))
		}
	}
	p.Direct = info.AccessType == winhttpNoProxy || info.AccessType == winhttpDefaultProxy && p.Proxy == ""
	if info.AccessType != winhttpNamedProxy && !p.Direct {
		return p, fmt.Errorf("access type %d", info.AccessType)
	}
	return p, nil
}
