//go:build !windows

package doctor

// checkProxy is for the Windows license server: elsewhere the clients'
// proxy settings are their own (HTTPS_PROXY, a systemd unit's
// Environment=), which doctor cannot see.
func (d *doctor) checkProxy() {}
