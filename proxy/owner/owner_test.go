package owner

import (
	"net"
	"net/netip"
	"testing"
)

// Only clients on this host are looked up: loopback, the address the
// client reached, or another address of this host's interfaces.
func TestOnThisHost(t *testing.T) {
	for _, tc := range []struct {
		client, local string
		want          bool
	}{
		{"127.0.0.1", "127.0.0.1", true},
		{"127.0.0.2", "127.0.0.1", true},
		{"::1", "::1", true},
		{"::ffff:127.0.0.1", "127.0.0.1", true},
		{"10.20.0.15", "10.20.0.15", true},
		{"192.0.2.7", "127.0.0.1", false}, // TEST-NET-1: no host's address
		{"2001:db8::7", "2001:db8::1", false},
	} {
		if got := OnThisHost(netip.MustParseAddr(tc.client), netip.MustParseAddr(tc.local)); got != tc.want {
			t.Errorf("OnThisHost(%s, %s): got %v, want %v", tc.client, tc.local, got, tc.want)
		}
	}
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, ia := range ifaddrs {
		pfx, err := netip.ParsePrefix(ia.String())
		if err != nil || pfx.Addr().IsLoopback() {
			continue
		}
		if !OnThisHost(pfx.Addr(), netip.MustParseAddr("127.0.0.1")) {
			t.Errorf("OnThisHost(%s, 127.0.0.1): got false for an address of this host", pfx.Addr())
		}
	}
}
