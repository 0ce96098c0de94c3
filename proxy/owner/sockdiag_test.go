package owner

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// The request is the netlink header and inet_diag_req_v2 of
// linux/inet_diag.h, field by field (little-endian host).
func TestDiagRequest_Layout(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the expected bytes are a little-endian host's")
	}
	got := hex.EncodeToString(diagRequest(afInet, ap("127.0.0.1:51544"), ap("127.0.0.1:3128"), 7))
	want := strings.Join([]string{
		"48000000", "1400", "0100", "07000000", "00000000", // nlmsghdr: len 72, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, seq 7, pid 0
		"02", "06", "00", "00", "ffffffff", // AF_INET, IPPROTO_TCP, no extensions, every state
		"c958", "0c38", // sport 51544, dport 3128, network order
		"7f000001000000000000000000000000", // src
		"7f000001000000000000000000000000", // dst
		"00000000", "ffffffff", "ffffffff", // any interface, INET_DIAG_NOCOOKIE
	}, "")
	if got != want {
		t.Errorf("request:\n got %s\nwant %s", got, want)
	}
	v6 := diagRequest(afInet6, ap("127.0.0.1:51561"), ap("127.0.0.1:3128"), 1)
	if mapped := hex.EncodeToString(v6[16+8+4 : 16+8+20]); mapped != "00000000000000000000ffff7f000001" {
		t.Errorf("IPv4 as a dual-stack socket's address: got %s, want ::ffff:127.0.0.1", mapped)
	}
}

func TestParseDiagReply(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the fixture is a little-endian host's")
	}
	// An inet_diag_msg as the kernel answers for 127.0.0.1:52792 ->
	// 127.0.0.1:44001, established, uid 1000, inode 1197634.
	msg, _ := hex.DecodeString("58000000" + "1400" + "0000" + "03000000" + "00000000" +
		"02010000" + "ce38" + "abe1" + "7f000001000000000000000000000000" + "7f000001000000000000000000000000" +
		"00000000" + "11223344" + "55667788" + "00000000" + "00000000" + "00000000" + "e8030000" + "42461200")
	s, err := parseDiagReply(msg, 3)
	if err != nil || s.local != ap("127.0.0.1:52792") || s.remote != ap("127.0.0.1:44001") || s.uid != 1000 || s.inode != 1197634 {
		t.Errorf("reply: got %+v, %v", s, err)
	}
	if _, err := parseDiagReply(msg, 4); err == nil {
		t.Error("a reply to another request: got no error")
	}
	if _, err := parseDiagReply(msg[:40], 3); err == nil {
		t.Error("a reply shorter than it says: got no error")
	}
	enoent, _ := hex.DecodeString("24000000" + "0200" + "0000" + "03000000" + "00000000" + "feffffff" + strings.Repeat("00", 16))
	if _, err := parseDiagReply(enoent, 3); !errors.Is(err, errNoSocket) {
		t.Errorf("ENOENT: got %v, want errNoSocket", err)
	}
}
