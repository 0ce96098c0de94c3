package configs

import (
	"fmt"
	"time"
)

// Limits bound what clients can hold open: connections, and how long a
// connection may sit idle or take to send a request head.
type Limits struct {
	// MaxClientConns caps the open proxy client connections, tunnels and
	// intercepted connections included. Past it a new connection gets 503
	// and is closed. The admin listener does not count.
	MaxClientConns int `yaml:"max_client_conns"`
	// HeadTimeout is how long a client, of the proxy or the admin API, may
	// take to send a whole request head (and, for an intercepted
	// connection, its TLS handshake).
	HeadTimeout Duration `yaml:"head_timeout"`
	// IdleTimeout closes a proxy or admin keep-alive connection that sends
	// no request for this long, cuts a proxy request body that stalls this
	// long, and bounds the whole of an admin request body.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// TunnelIdleTimeout closes a tunnel (CONNECT to a host that is not
	// intercepted) that carries no byte either way for this long.
	TunnelIdleTimeout Duration `yaml:"tunnel_idle_timeout"`
}

func (c *Config) checkLimits() error {
	if n := c.Limits.MaxClientConns; n < 1 {
		return &KeyError{"limits.max_client_conns", fmt.Sprintf("%d: must be at least 1 (example: 1024)", n)}
	}
	durations := []struct {
		key string
		d   Duration
		eg  string
	}{
		{"limits.head_timeout", c.Limits.HeadTimeout, "30s"},
		{"limits.idle_timeout", c.Limits.IdleTimeout, "2m"},
		{"limits.tunnel_idle_timeout", c.Limits.TunnelIdleTimeout, "10m"},
	}
	for _, k := range durations {
		if time.Duration(k.d) <= 0 {
			return &KeyError{k.key, fmt.Sprintf("%v: must be a positive duration (example: %s)", time.Duration(k.d), k.eg)}
		}
	}
	return nil
}
