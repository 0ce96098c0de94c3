package owner

import (
	"bufio"
	"encoding/hex"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// readHexTable reads a table fixture: hex, one row a line, "#" comments.
// testdata/tcptable4.hex and tcptable6.hex hold a Citrix License Server's
// connections (Windows Server 2022, Telltale inline on 127.0.0.1:3128) in
// the byte layout Microsoft documents for MIB_TCPROW_OWNER_PID and
// MIB_TCP6ROW_OWNER_PID, written by testdata/tcptable.py with Python's
// struct.pack, not by Go: the parser is checked against an encoding it
// did not make. The Wine test (owner_windows_test.go) reads a live table.
func readHexTable(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b []byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		row, err := hex.DecodeString(strings.TrimSpace(line))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b = append(b, row...)
	}
	return b
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestParseTCPTable_LicenseServer(t *testing.T) {
	v4, err := parseTCPTable(readHexTable(t, "tcptable4.hex"), false)
	if err != nil || len(v4) != 13 {
		t.Fatalf("IPv4 table: got %d rows, %v, want 13", len(v4), err)
	}
	if got, want := v4[6], (tcpRow{local: ap("127.0.0.1:51544"), remote: ap("127.0.0.1:3128"), state: 5, pid: 4388}); got != want {
		t.Errorf("IPv4 row 6: got %+v, want %+v", got, want)
	}
	v6, err := parseTCPTable(readHexTable(t, "tcptable6.hex"), true)
	if err != nil || len(v6) != 6 {
		t.Fatalf("IPv6 table: got %d rows, %v, want 6", len(v6), err)
	}
	if got, want := v6[2], (tcpRow{local: ap("[::1]:51560"), remote: ap("[::1]:3128"), state: 5, pid: 7432}); got != want {
		t.Errorf("IPv6 row 2: got %+v, want %+v", got, want)
	}
	if got := v6[4].local; got != ap("127.0.0.1:51561") {
		t.Errorf("IPv4-mapped row: local %v, want 127.0.0.1:51561", got)
	}

	for _, tc := range []struct {
		name           string
		rows           []tcpRow
		client, server string
		want           uint32 // 0: none
	}{
		{"the telemetry client, not the proxy's end of it", v4, "127.0.0.1:51544", "127.0.0.1:3128", 4388},
		{"another client to the proxy", v4, "127.0.0.1:51550", "127.0.0.1:3128", 2904},
		{"a client over the host's own address", v4, "10.20.0.15:51551", "10.20.0.15:3128", 6612},
		{"a closed connection in TIME_WAIT has no owner", v4, "127.0.0.1:51502", "127.0.0.1:3128", 0},
		{"a listening socket is no client", v4, "0.0.0.0:135", "0.0.0.0:0", 0},
		{"a port of no connection", v4, "127.0.0.1:51999", "127.0.0.1:3128", 0},
		{"the right port, the wrong server", v4, "127.0.0.1:51544", "127.0.0.1:8080", 0},
		{"IPv6 loopback", v6, "[::1]:51560", "[::1]:3128", 7432},
		{"a dual-stack socket's IPv4 connection", v6, "127.0.0.1:51561", "127.0.0.1:3128", 7010},
	} {
		pid, ok := tableOwner(tc.rows, ap(tc.client), ap(tc.server))
		if pid != tc.want || ok != (tc.want != 0) {
			t.Errorf("%s: got pid %d, %v, want %d", tc.name, pid, ok, tc.want)
		}
	}
}

func TestParseTCPTable_RefusesATableShorterThanItsCount(t *testing.T) {
	b := readHexTable(t, "tcptable4.hex")
	for _, cut := range []int{0, 3, len(b) - 1} {
		if _, err := parseTCPTable(b[:cut], false); err == nil {
			t.Errorf("%d of %d bytes: got no error", cut, len(b))
		}
	}
	if _, err := parseTCPTable(b, true); err == nil {
		t.Error("an IPv4 table read as IPv6 (13 rows of 56 bytes in 316): got no error")
	}
}
