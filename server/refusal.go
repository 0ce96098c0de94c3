package server

import (
	"time"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/proxy"
)

// refusalPolicy is intercept.on_client_refusal and its settings for the
// proxy (proxy/refusal.go).
func refusalPolicy(cfg *configs.Config) proxy.RefusalPolicy {
	r := cfg.Intercept.ClientRefusal
	return proxy.RefusalPolicy{Tunnel: r.Tunnel(), Limit: r.RefusalLimit, For: time.Duration(r.RefusalTunnelFor)}
}
