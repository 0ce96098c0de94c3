package owner

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Linux's sock_diag netlink (linux/inet_diag.h) answers for one TCP socket
// by its four-tuple, as ss does, without reading the whole /proc/net/tcp:
// a request is a netlink header and an inet_diag_req_v2, the answer a
// netlink header and an inet_diag_msg, or an error message.
const (
	nlmsgHeaderLen    = 16
	inetDiagReqLen    = 56
	inetDiagMsgLen    = 72
	sockDiagByFamily  = 20 // SOCK_DIAG_BY_FAMILY
	nlmsgError        = 2  // NLMSG_ERROR
	nlmFRequest       = 1  // NLM_F_REQUEST
	ipprotoTCP        = 6
	afInet, afInet6   = 2, 10
	inetDiagNoCookie  = ^uint32(0)
	diagFamilyIPv4Len = 4
)

// errNoSocket is the kernel's ENOENT: no socket has that four-tuple.
var errNoSocket = errors.New("no such socket")

// diagRequest is the message that asks for the TCP socket whose local end
// is local and remote end remote; family is afInet or afInet6 (an IPv4
// connection of a dual-stack socket is asked as IPv4-mapped IPv6).
func diagRequest(family uint8, local, remote netip.AddrPort, seq uint32) []byte {
	b := make([]byte, nlmsgHeaderLen+inetDiagReqLen)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], sockDiagByFamily)
	binary.NativeEndian.PutUint16(b[6:], nlmFRequest)
	binary.NativeEndian.PutUint32(b[8:], seq)
	r := b[nlmsgHeaderLen:]
	r[0], r[1] = family, ipprotoTCP
	binary.NativeEndian.PutUint32(r[4:], ^uint32(0)) // every state
	id := r[8:]
	binary.BigEndian.PutUint16(id[0:], local.Port())
	binary.BigEndian.PutUint16(id[2:], remote.Port())
	putDiagAddr(id[4:20], family, local.Addr())
	putDiagAddr(id[20:36], family, remote.Addr())
	binary.NativeEndian.PutUint32(id[40:], inetDiagNoCookie)
	binary.NativeEndian.PutUint32(id[44:], inetDiagNoCookie)
	return b
}

func putDiagAddr(dst []byte, family uint8, a netip.Addr) {
	if family == afInet {
		v4 := a.Unmap().As4()
		copy(dst, v4[:])
		return
	}
	v6 := a.As16() // an IPv4 address as ::ffff:a.b.c.d
	copy(dst, v6[:])
}

// parseDiagReply reads the answer to diagRequest number seq.
func parseDiagReply(b []byte, seq uint32) (procSocket, error) {
	if len(b) < nlmsgHeaderLen {
		return procSocket{}, fmt.Errorf("sock_diag: %d-byte answer", len(b))
	}
	n, typ := binary.NativeEndian.Uint32(b), binary.NativeEndian.Uint16(b[4:])
	if int(n) > len(b) || n < nlmsgHeaderLen || binary.NativeEndian.Uint32(b[8:]) != seq {
		return procSocket{}, fmt.Errorf("sock_diag: answer of %d bytes, sequence %d, does not fit", n, binary.NativeEndian.Uint32(b[8:]))
	}
	body := b[nlmsgHeaderLen:n]
	switch {
	case typ == nlmsgError && len(body) >= 4:
		errno := -int32(binary.NativeEndian.Uint32(body))
		if errno == 2 { // ENOENT
			return procSocket{}, errNoSocket
		}
		return procSocket{}, fmt.Errorf("sock_diag: errno %d", errno)
	case typ != sockDiagByFamily || len(body) < inetDiagMsgLen:
		return procSocket{}, fmt.Errorf("sock_diag: message type %d of %d bytes", typ, len(body))
	}
	family, id := body[0], body[4:52]
	s := procSocket{
		local:  netip.AddrPortFrom(diagAddr(family, id[4:20]), binary.BigEndian.Uint16(id[0:])),
		remote: netip.AddrPortFrom(diagAddr(family, id[20:36]), binary.BigEndian.Uint16(id[2:])),
		uid:    int(binary.NativeEndian.Uint32(body[64:])),
		inode:  uint64(binary.NativeEndian.Uint32(body[68:])),
	}
	return s, nil
}

func diagAddr(family uint8, b []byte) netip.Addr {
	if family == afInet {
		return netip.AddrFrom4([4]byte(b[:diagFamilyIPv4Len]))
	}
	return netip.AddrFrom16([16]byte(b[:16])).Unmap()
}
