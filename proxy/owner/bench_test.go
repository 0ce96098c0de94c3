package owner

import (
	"context"
	"net"
	"testing"
)

// BenchmarkLookup_OwnConnection is one lookup of a loopback connection
// this process holds: the cost the proxy pays per local client connection,
// off the exchange's path.
func BenchmarkLookup_OwnConnection(b *testing.B) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	client, server := c.LocalAddr().(*net.TCPAddr).AddrPort(), c.RemoteAddr().(*net.TCPAddr).AddrPort()
	for b.Loop() {
		if p := Lookup(context.Background(), client, server); p.PID == 0 {
			b.Fatalf("lookup: %+v", p)
		}
	}
}
