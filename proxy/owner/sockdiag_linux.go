package owner

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// diagSocketOf asks sock_diag for the client's socket: as IPv4, then as a
// dual-stack IPv6 socket's IPv4-mapped connection. errNoSocket: there is
// none; another error: sock_diag is not available (a sandbox without
// AF_NETLINK), and the caller reads /proc/net/tcp instead.
func diagSocketOf(client, server netip.AddrPort) (procSocket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return procSocket{}, fmt.Errorf("sock_diag: %w", err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(int64(time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return procSocket{}, fmt.Errorf("sock_diag: %w", err)
	}
	families := []uint8{afInet6}
	if client.Addr().Is4() {
		families = []uint8{afInet, afInet6}
	}
	buf := make([]byte, 4096)
	for i, family := range families {
		seq := uint32(i + 1)
		if err := unix.Sendto(fd, diagRequest(family, client, server, seq), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			return procSocket{}, fmt.Errorf("sock_diag: %w", err)
		}
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return procSocket{}, fmt.Errorf("sock_diag: %w", err)
		}
		s, err := parseDiagReply(buf[:n], seq)
		if errors.Is(err, errNoSocket) {
			continue
		}
		return s, err
	}
	return procSocket{}, errNoSocket
}
