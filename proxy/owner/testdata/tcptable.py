#!/usr/bin/env python3
"""Writes tcptable4.hex and tcptable6.hex: the TCP tables of a Citrix License
Server with Telltale inline on 127.0.0.1:3128, in the byte layout Microsoft
documents for MIB_TCPROW_OWNER_PID and MIB_TCP6ROW_OWNER_PID (tcpmib.h), made
with struct.pack so that the Go parser is checked against an encoding it did
not write. Run from proxy/owner: python3 testdata/tcptable.py"""
import socket
import struct

# (state, local, local port, remote, remote port, pid, what it is)
V4 = [
    (2, '0.0.0.0', 135, '0.0.0.0', 0, 948, 'LISTEN RpcSs (svchost.exe)'),
    (2, '0.0.0.0', 445, '0.0.0.0', 0, 4, 'LISTEN SMB (System)'),
    (2, '0.0.0.0', 7279, '0.0.0.0', 0, 3120, 'LISTEN CITRIX vendor daemon (CITRIX.exe)'),
    (2, '0.0.0.0', 8083, '0.0.0.0', 0, 2904, 'LISTEN Citrix Licensing Config Service'),
    (2, '0.0.0.0', 27000, '0.0.0.0', 0, 2212, 'LISTEN lmadmin.exe (Citrix Licensing)'),
    (2, '127.0.0.1', 3128, '0.0.0.0', 0, 5120, 'LISTEN telltale.exe, the proxy'),
    (5, '127.0.0.1', 51544, '127.0.0.1', 3128, 4388, 'ESTABLISHED client end: CitrixLicensingTelemetry.exe to the proxy'),
    (5, '127.0.0.1', 3128, '127.0.0.1', 51544, 5120, 'ESTABLISHED the proxy\'s end of the same connection'),
    (5, '10.20.0.15', 51545, '52.169.43.110', 443, 5120, 'ESTABLISHED telltale.exe upstream to las.cloud.com'),
    (11, '127.0.0.1', 51502, '127.0.0.1', 3128, 0, 'TIME_WAIT a closed client connection: no owner'),
    (5, '10.20.0.15', 27000, '10.20.0.31', 50110, 2212, 'ESTABLISHED a Delivery Controller checking out licenses'),
    (5, '127.0.0.1', 51550, '127.0.0.1', 3128, 2904, 'ESTABLISHED client end: the Config Service to the proxy'),
    (5, '10.20.0.15', 51551, '10.20.0.15', 3128, 6612, 'ESTABLISHED client end over the host\'s own address: powershell.exe'),
]
V6 = [
    (2, '::', 135, '::', 0, 948, 'LISTEN RpcSs'),
    (2, '::', 445, '::', 0, 4, 'LISTEN System'),
    (5, '::1', 51560, '::1', 3128, 7432, 'ESTABLISHED client end over ::1: curl.exe'),
    (5, '::1', 3128, '::1', 51560, 5120, 'ESTABLISHED the proxy\'s end'),
    (5, '::ffff:127.0.0.1', 51561, '::ffff:127.0.0.1', 3128, 7010, 'ESTABLISHED dual-stack client end, IPv4-mapped: java.exe'),
    (11, 'fe80::5d1a:9e2b:44c0:1f7a', 51562, 'fe80::1', 443, 0, 'TIME_WAIT'),
]


def port(p):
    return struct.pack('>H', p) + b'\0\0'  # network order in the DWORD's first two bytes


def v4row(st, la, lp, ra, rp, pid):
    return struct.pack('<I', st) + socket.inet_aton(la) + port(lp) + socket.inet_aton(ra) + port(rp) + struct.pack('<I', pid)


def v6row(st, la, lp, ra, rp, pid):
    def scope(a):
        return struct.pack('<I', 11 if a.startswith('fe80') else 0)
    return (socket.inet_pton(socket.AF_INET6, la) + scope(la) + port(lp) +
            socket.inet_pton(socket.AF_INET6, ra) + scope(ra) + port(rp) + struct.pack('<II', st, pid))


HEAD = '''# %s as GetExtendedTcpTable(..., %s, TCP_TABLE_OWNER_PID_ALL) fills it,
# in hex, one row a line, "#" to the end of a line a comment (owner's tcptable_test.go reads it).
# The connections are those of a Citrix License Server on Windows Server 2022 with Telltale
# inline on 127.0.0.1:3128 (netstat -ano / Get-NetTCPConnection -OwningProcess); the bytes
# were written by testdata/tcptable.py (Python's struct.pack) from the layout Microsoft documents
# for %s (tcpmib.h), not by Telltale's own code.
'''


def write(name, rows, fn, table, af, row):
    with open('testdata/' + name, 'w') as f:
        f.write(HEAD % (table, af, row))
        f.write('%s  # dwNumEntries = %d\n' % (struct.pack('<I', len(rows)).hex(), len(rows)))
        for r in rows:
            f.write('%s  # %s %s:%d -> %s:%d pid %d\n' % (fn(*r[:6]).hex(), r[6], r[1], r[2], r[3], r[4], r[5]))


write('tcptable4.hex', V4, v4row, 'MIB_TCPTABLE_OWNER_PID', 'AF_INET', 'MIB_TCPROW_OWNER_PID')
write('tcptable6.hex', V6, v6row, 'MIB_TCP6TABLE_OWNER_PID', 'AF_INET6', 'MIB_TCP6ROW_OWNER_PID')
