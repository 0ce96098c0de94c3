package owner

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// Under Wine (internal/wine runs this package as a windows/amd64 test
// binary) GetExtendedTcpTable reads the live table: the test's own
// connection is found with its PID and image.
func TestLookup_Windows_OwnConnection(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		if c, err := l.Accept(); err == nil {
			defer c.Close()
			time.Sleep(5 * time.Second)
		}
	}()
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	client, server := c.LocalAddr().(*net.TCPAddr).AddrPort(), c.RemoteAddr().(*net.TCPAddr).AddrPort()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p := Lookup(ctx, client, server)
	exe, _ := os.Executable()
	if p.PID != os.Getpid() || !strings.EqualFold(p.Name, baseName(exe)) {
		t.Errorf("own connection: got %+v, want pid %d, name %s", p, os.Getpid(), baseName(exe))
	}
	t.Logf("own connection: %s", p.String())
	// The fallback for a process Telltale may not open names it too.
	if got := snapshotName(uint32(os.Getpid())); !strings.EqualFold(got, baseName(exe)) {
		t.Errorf("snapshotName(own pid): got %q, want %s", got, baseName(exe))
	}
	if p := Lookup(ctx, netip.MustParseAddrPort("127.0.0.1:1"), server); p.PID != 0 || p.Unknown == "" {
		t.Errorf("no such connection: got %+v, want no PID and a reason", p)
	}
}

func baseName(p string) string { return p[strings.LastIndexAny(p, `\/`)+1:] }
