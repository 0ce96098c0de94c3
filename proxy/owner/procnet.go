package owner

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// procSocket is one line of Linux's /proc/net/tcp or tcp6.
type procSocket struct {
	local, remote netip.AddrPort
	uid           int
	inode         uint64
}

// findProcSocket returns the socket of the table (the text of
// /proc/net/tcp or /proc/net/tcp6) whose local end is client and remote
// end server: the client's end of the connection, not the proxy's. A
// listening socket (remote port 0) never matches.
func findProcSocket(table []byte, client, server netip.AddrPort) (procSocket, bool, error) {
	sc := bufio.NewScanner(bytes.NewReader(table))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue // the column names
		}
		s, err := parseProcSocket(sc.Text())
		if err != nil {
			return procSocket{}, false, err
		}
		if sameEnd(s.local, client) && sameEnd(s.remote, server) && s.remote.Port() != 0 {
			return s, true, nil
		}
	}
	return procSocket{}, false, sc.Err()
}

// parseProcSocket reads a line such as
//
//	0: 0100007F:C35A 0100007F:0C38 01 00000000:00000000 00:00000000 00000000  1000        0 123456 1 ...
//
// sl, local_address, rem_address, st, tx:rx queue, tr:when, retrnsmt, uid,
// timeout, inode (the kernel's tcp4_seq_show, tcp6_seq_show).
func parseProcSocket(line string) (procSocket, error) {
	f := strings.Fields(line)
	if len(f) < 10 {
		return procSocket{}, fmt.Errorf("/proc/net/tcp: short line %q", line)
	}
	var s procSocket
	var err error
	if s.local, err = parseProcAddr(f[1]); err != nil {
		return s, err
	}
	if s.remote, err = parseProcAddr(f[2]); err != nil {
		return s, err
	}
	if s.uid, err = strconv.Atoi(f[7]); err != nil {
		return s, fmt.Errorf("/proc/net/tcp: uid %q: %w", f[7], err)
	}
	if s.inode, err = strconv.ParseUint(f[9], 10, 64); err != nil {
		return s, fmt.Errorf("/proc/net/tcp: inode %q: %w", f[9], err)
	}
	return s, nil
}

// parseProcAddr reads "0100007F:C35A": the address as the kernel prints
// it, each 32-bit word of it in hex in the host's byte order (%08X of the
// word), and the port in hex.
func parseProcAddr(s string) (netip.AddrPort, error) {
	h, p, ok := strings.Cut(s, ":")
	port, err := strconv.ParseUint(p, 16, 16)
	if !ok || err != nil || (len(h) != 8 && len(h) != 32) {
		return netip.AddrPort{}, fmt.Errorf("/proc/net/tcp: address %q", s)
	}
	raw, err := hex.DecodeString(h)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("/proc/net/tcp: address %q", s)
	}
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	a, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil
}

// sameEnd compares two ends with IPv4-mapped IPv6 addresses as IPv4, as a
// dual-stack socket shows them.
func sameEnd(a, b netip.AddrPort) bool {
	return a.Port() == b.Port() && a.Addr().Unmap() == b.Addr().Unmap()
}
