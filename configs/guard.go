package configs

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// The proxy refuses upstreams on its own host (loopback, link-local, its
// own addresses and ports) unless upstream.allow_local names them; see
// proxy/guard.go.

func (c *Config) checkAllowLocal() error {
	for i, e := range c.Upstream.AllowLocal {
		host, port, err := net.SplitHostPort(e)
		n, perr := strconv.Atoi(port)
		_, iperr := netip.ParseAddr(host)
		if err != nil || perr != nil || n < 1 || n > 65535 || (iperr != nil && !validName(host)) {
			return &KeyError{fmt.Sprintf("upstream.allow_local[%d]", i),
				fmt.Sprintf("%q: want host:port or ip:port of an upstream on this host (examples: 127.0.0.1:9443, \"[::1]:9443\", las.internal:443)", e)}
		}
	}
	return nil
}

// OpenToEveryone returns the clients.allow entry that admits every
// address (0.0.0.0/0 or ::/0), or "". Call after Validate.
func (c *Config) OpenToEveryone() string {
	for _, s := range c.Clients.Allow {
		if p, err := parsePrefix(s); err == nil && p.Bits() == 0 {
			return s
		}
	}
	return ""
}

// ExposedProxy is the warning serve logs and doctor prints when the proxy
// listens beyond loopback and clients.allow admits everyone, or "".
func (c *Config) ExposedProxy() string {
	all := c.OpenToEveryone()
	if all == "" || Loopback(c.Listen) {
		return ""
	}
	return fmt.Sprintf("clients.allow contains %s and the proxy listens on %s: anyone who can reach that address may use "+
		"the proxy (and tunnel through it). List the license servers' networks instead", all, c.Listen)
}
