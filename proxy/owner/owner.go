package owner

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/telltale/telltale/store"
)

// Lookup describes the process on this host that owns the client's end
// of the TCP connection from client to server (the proxy's address as the
// client reached it). It returns within ctx's deadline, with what it found
// and, in Unknown, why the rest is missing.
func Lookup(ctx context.Context, client, server netip.AddrPort) store.Process {
	client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
	server = netip.AddrPortFrom(server.Addr().Unmap(), server.Port())
	p := lookup(ctx, client, server)
	if p.Unknown == "" && ctx.Err() != nil {
		p.Unknown = "lookup cut short: " + context.Cause(ctx).Error()
	}
	return p
}

// OnThisHost reports whether a client at address client, which reached
// the proxy at local, runs on this host: a loopback address, the address
// it reached, or any other address of this host's interfaces. Only such
// clients have a process here to look up.
func OnThisHost(client, local netip.Addr) bool {
	client, local = client.Unmap(), local.Unmap()
	if client.IsLoopback() || client == local {
		return true
	}
	for _, a := range hostAddrs() {
		if a == client {
			return true
		}
	}
	return false
}

// hostAddrs are this host's interface addresses, read at most once every
// few seconds (a DHCP lease or a VPN may add one).
func hostAddrs() []netip.Addr {
	addrs.mu.Lock()
	defer addrs.mu.Unlock()
	if time.Since(addrs.read) < addrsTTL {
		return addrs.list
	}
	addrs.read, addrs.list = time.Now(), nil
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	for _, ia := range ifaddrs {
		if pfx, err := netip.ParsePrefix(ia.String()); err == nil {
			addrs.list = append(addrs.list, pfx.Addr().Unmap())
		}
	}
	return addrs.list
}

const addrsTTL = 5 * time.Second

var addrs struct {
	mu   sync.Mutex
	read time.Time
	list []netip.Addr
}
