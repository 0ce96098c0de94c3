package configs

import (
	"fmt"
	"time"
)

// intercept.on_client_refusal's values.
const (
	// RefusalRecord records each refused handshake, alerts, and keeps
	// intercepting: the default.
	RefusalRecord = "record"
	// RefusalTunnel also passes the host through uninspected for that
	// client after refusal_limit refusals in a row.
	RefusalTunnel = "tunnel"
)

// ClientRefusal says what follows when a client aborts the TLS handshake
// with the certificate Telltale minted for an intercepted host (it does
// not trust the Telltale CA, or pins the server's certificate). Its keys
// sit in intercept.
type ClientRefusal struct {
	// OnClientRefusal is record ("": the default) or tunnel.
	OnClientRefusal string `yaml:"on_client_refusal"`
	// RefusalLimit is how many refusals in a row, by one client of one
	// host, start a pass-through; 0: 3.
	RefusalLimit int `yaml:"refusal_limit"`
	// RefusalTunnelFor is how long a pass-through lasts before Telltale
	// intercepts once more; 0: 1h.
	RefusalTunnelFor Duration `yaml:"refusal_tunnel_for"`
}

// Tunnel reports whether refused hosts are passed through.
func (r ClientRefusal) Tunnel() bool { return r.OnClientRefusal == RefusalTunnel }

func (c *Config) checkClientRefusal() error {
	r := c.Intercept.ClientRefusal
	switch {
	case r.OnClientRefusal != "" && r.OnClientRefusal != RefusalRecord && r.OnClientRefusal != RefusalTunnel:
		return &KeyError{"intercept.on_client_refusal", fmt.Sprintf("%q: must be record or tunnel", r.OnClientRefusal)}
	case r.RefusalLimit < 0:
		return &KeyError{"intercept.refusal_limit", fmt.Sprintf("%d: must be at least 1 (0: 3)", r.RefusalLimit)}
	case r.RefusalTunnelFor < 0 || r.RefusalTunnelFor > 0 && time.Duration(r.RefusalTunnelFor) < time.Minute:
		return &KeyError{"intercept.refusal_tunnel_for", fmt.Sprintf("%v: must be a minute or more (0: 1h)", time.Duration(r.RefusalTunnelFor))}
	}
	return nil
}
