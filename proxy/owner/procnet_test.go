package owner

import (
	"os"
	"testing"
)

// testdata/proc_net_tcp and proc_net_tcp6 are /proc/net/tcp and tcp6 as
// read on a Linux 6 host (amd64) while a Python client, uid 0, held two
// connections: 127.0.0.1:52792 to a listener on 127.0.0.1:44001 (its
// socket inode 1197634) and, from an IPv6 socket, ::ffff:127.0.0.1:56932
// to [::]:33935 (inode 1197637).
func TestFindProcSocket_CapturedTables(t *testing.T) {
	tcp, err := os.ReadFile("testdata/proc_net_tcp")
	if err != nil {
		t.Fatal(err)
	}
	tcp6, err := os.ReadFile("testdata/proc_net_tcp6")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		table          []byte
		client, server string
		inode          uint64 // 0: none
	}{
		{"the client's end, not the listener's accepted end", tcp, "127.0.0.1:52792", "127.0.0.1:44001", 1197634},
		{"the accepted end is found only the other way round", tcp, "127.0.0.1:44001", "127.0.0.1:52792", 1197635},
		{"a listening socket is no client", tcp, "127.0.0.1:44001", "0.0.0.0:0", 0},
		{"no such connection", tcp, "127.0.0.1:52793", "127.0.0.1:44001", 0},
		{"a dual-stack socket's IPv4 connection", tcp6, "127.0.0.1:56932", "127.0.0.1:33935", 1197637},
		{"nor in tcp6", tcp6, "127.0.0.1:52792", "127.0.0.1:44001", 0},
	} {
		s, ok, err := findProcSocket(tc.table, ap(tc.client), ap(tc.server))
		if err != nil || ok != (tc.inode != 0) || s.inode != tc.inode || (ok && s.uid != 0) {
			t.Errorf("%s: got %+v, %v, %v, want inode %d, uid 0", tc.name, s, ok, err, tc.inode)
		}
	}
}

func TestParseProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:CE38":                         "127.0.0.1:52792",
		"0F00140A:01BB":                         "10.20.0.15:443",
		"00000000000000000000000001000000:0C38": "[::1]:3128",
		"0000000000000000FFFF00000100007F:DE64": "127.0.0.1:56932",
		"B80D0120000000000000000001000000:0050": "[2001:db8::1]:80",
	} {
		got, err := parseProcAddr(in)
		if err != nil || got != ap(want) {
			t.Errorf("parseProcAddr(%q): got %v, %v, want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"0100007F", "0100007:CE38", "0100007F:CE38A", "ZZ00007F:0050", "0100007F0:0050"} {
		if _, err := parseProcAddr(bad); err == nil {
			t.Errorf("parseProcAddr(%q): got no error", bad)
		}
	}
	if _, _, err := findProcSocket([]byte("header\n   0: 0100007F:CE38 0100007F\n"), ap("127.0.0.1:1"), ap("127.0.0.1:2")); err == nil {
		t.Error("findProcSocket on a short line: got no error")
	}
}
