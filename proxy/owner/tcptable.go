package owner

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// The TCP tables GetExtendedTcpTable returns with TCP_TABLE_OWNER_PID_ALL
// (iphlpapi, tcpmib.h): a DWORD count, then that many rows,
//
//	MIB_TCPROW_OWNER_PID (IPv4, 24 bytes): dwState, dwLocalAddr,
//	  dwLocalPort, dwRemoteAddr, dwRemotePort, dwOwningPid
//	MIB_TCP6ROW_OWNER_PID (IPv6, 56 bytes): ucLocalAddr[16],
//	  dwLocalScopeId, dwLocalPort, ucRemoteAddr[16], dwRemoteScopeId,
//	  dwRemotePort, dwState, dwOwningPid
//
// DWORDs little-endian; addresses as their bytes in network order; a port
// in network byte order in the first two bytes of its DWORD.
// https://learn.microsoft.com/windows/win32/api/tcpmib/ns-tcpmib-mib_tcprow_owner_pid
const (
	tcpRowSize  = 24
	tcp6RowSize = 56

	tcpStateListen = 2 // MIB_TCP_STATE_LISTEN
)

// tcpRow is one connection of a table.
type tcpRow struct {
	local, remote netip.AddrPort
	state         uint32 // MIB_TCP_STATE: 2 listen, 5 established, 11 time wait...
	pid           uint32
}

// parseTCPTable reads a MIB_TCPTABLE_OWNER_PID (v6 false) or a
// MIB_TCP6TABLE_OWNER_PID (v6 true).
func parseTCPTable(b []byte, v6 bool) ([]tcpRow, error) {
	size := tcpRowSize
	if v6 {
		size = tcp6RowSize
	}
	if len(b) < 4 {
		return nil, fmt.Errorf("tcp table: %d bytes, no count", len(b))
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n > (len(b)-4)/size {
		return nil, fmt.Errorf("tcp table: %d rows of %d bytes do not fit in %d bytes", n, size, len(b))
	}
	rows := make([]tcpRow, n)
	for i := range rows {
		r := b[4+i*size : 4+(i+1)*size]
		if v6 {
			rows[i] = tcpRow{local: rowEnd(r[0:16], r[20:]), remote: rowEnd(r[24:40], r[44:]),
				state: binary.LittleEndian.Uint32(r[48:]), pid: binary.LittleEndian.Uint32(r[52:])}
			continue
		}
		rows[i] = tcpRow{state: binary.LittleEndian.Uint32(r), local: rowEnd(r[4:8], r[8:]),
			remote: rowEnd(r[12:16], r[16:]), pid: binary.LittleEndian.Uint32(r[20:])}
	}
	return rows, nil
}

func rowEnd(addr, port []byte) netip.AddrPort {
	a, _ := netip.AddrFromSlice(addr)
	return netip.AddrPortFrom(a.Unmap(), binary.BigEndian.Uint16(port))
}

// tableOwner returns the PID owning the client's end of the connection
// from client to server: the row whose local end is client and remote
// end server (the proxy's own row has them the other way round). A
// listening row never matches; neither does an owner of PID 0, which a
// closed connection (TIME_WAIT) has.
func tableOwner(rows []tcpRow, client, server netip.AddrPort) (uint32, bool) {
	for _, r := range rows {
		if r.state != tcpStateListen && r.pid != 0 && sameEnd(r.local, client) && sameEnd(r.remote, server) {
			return r.pid, true
		}
	}
	return 0, false
}
