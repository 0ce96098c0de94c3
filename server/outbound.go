package server

import (
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/proxy"
)

// outboundTimeout bounds one of Telltale's own requests (a TSA, the
// witness, the alert webhook).
const outboundTimeout = 10 * time.Second

// OutboundClient is the HTTP client for the requests a command makes on
// its own behalf outside serve (`telltale checkpoint --send`, export's
// timestamps, doctor): the proxy's local guard with cfg's
// upstream.allow_local, refusing the ports of cfg's listeners and of the
// serve running on dir ("": cfg's data dir), and no redirect of a post.
func OutboundClient(cfg *configs.Config, dir string) *http.Client {
	if dir == "" {
		dir = cfg.DataDir
	}
	g := proxy.NewGuard(cfg.Upstream.AllowLocal)
	for _, addr := range []string{cfg.Listen, cfg.Admin.Listen} {
		g.ProtectPort(portOf(addr))
	}
	if info, ok := ReadAdminInfo(dir); ok {
		g.ProtectPort(portOf(info.Addr))
	}
	return g.Client(outboundTimeout)
}

func portOf(addr string) int {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(port)
	return n
}
