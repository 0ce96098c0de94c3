package doctor

import "strings"

// checkClients warns when the proxy listens beyond loopback and
// clients.allow admits every address: anyone who reaches it may use it.
func (d *doctor) checkClients() {
	if w := d.cfg.ExposedProxy(); w != "" {
		d.line(checkWarn, "clients", "%s", w)
		return
	}
	d.line(checkOK, "clients", "clients.allow: %s", strings.Join(d.cfg.Clients.Allow, ", "))
}
