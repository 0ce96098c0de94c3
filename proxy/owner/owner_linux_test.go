package owner

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/testtool"
)

// listen returns a loopback listener that accepts and holds connections.
func listen(t *testing.T, network, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("listen %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return l
}

func addrPort(a net.Addr) netip.AddrPort { return a.(*net.TCPAddr).AddrPort() }

// This test's own connection is found in /proc: its PID, image and user.
func TestLookup_Linux_OwnConnection(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	for _, tc := range []struct{ network, addr string }{{"tcp4", "127.0.0.1:0"}, {"tcp6", "[::1]:0"}} {
		l := listen(t, tc.network, tc.addr)
		c, err := net.Dial(tc.network, l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		p := Lookup(ctx, addrPort(c.LocalAddr()), addrPort(c.RemoteAddr()))
		cancel()
		if p.PID != os.Getpid() || p.Image != exe || p.Name != filepath.Base(exe) || p.User != me.Username || p.Unknown != "" {
			t.Errorf("%s: got %+v, want pid %d, image %s, user %s", tc.network, p, os.Getpid(), exe, me.Username)
		}
		// The proxy's end of the same connection is another socket.
		if p := Lookup(context.Background(), addrPort(c.RemoteAddr()), addrPort(c.LocalAddr())); p.PID != os.Getpid() {
			t.Errorf("%s, the accepting end: got %+v, want this process too (it holds both ends)", tc.network, p)
		}
		c.Close()
	}
}

// A Python client's connection is attributed to the Python process, by
// the PID the test started; once it has closed, the lookup says why it
// found nothing.
func TestLookup_Linux_AnotherProcess(t *testing.T) {
	py := testtool.Need(t, "python3")[0]
	l := listen(t, "tcp4", "127.0.0.1:0")
	cmd := exec.Command(py, "-c", `import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print("%s:%d" % s.getsockname(), flush=True)
sys.stdin.read()`, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("python client: %v", err)
	}
	client := netip.MustParseAddrPort(strings.TrimSpace(line))
	p := Lookup(context.Background(), client, addrPort(l.Addr()))
	stdin.Close()
	cmd.Wait()
	if p.PID != cmd.Process.Pid || !strings.HasPrefix(p.Name, "python3") || p.Image == "" {
		t.Errorf("python client: got %+v, want pid %d, name python3*", p, cmd.Process.Pid)
	}
	p = Lookup(context.Background(), client, addrPort(l.Addr()))
	if p.PID != 0 || p.Unknown == "" {
		t.Errorf("after the client closed: got %+v, want no PID and a reason", p)
	}
}

// sock_diag and /proc/net/tcp, two ways into the kernel's socket table,
// name the same socket for this test's own connections.
func TestDiagSocketOf_AgreesWithProcNet(t *testing.T) {
	for _, tc := range []struct{ network, addr, table string }{{"tcp4", "127.0.0.1:0", "tcp"}, {"tcp6", "[::1]:0", "tcp6"}} {
		l := listen(t, tc.network, tc.addr)
		c, err := net.Dial(tc.network, l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		client, server := addrPort(c.LocalAddr()), addrPort(c.RemoteAddr())
		diag, err := diagSocketOf(client, server)
		if err != nil {
			t.Fatalf("%s: sock_diag: %v", tc.network, err)
		}
		table, _ := os.ReadFile("/proc/net/" + tc.table)
		want, ok, err := findProcSocket(table, client, server)
		if !ok || err != nil || diag.inode != want.inode || diag.uid != want.uid || diag.inode == 0 {
			t.Errorf("%s: sock_diag %+v, /proc/net/%s %+v (%v, %v)", tc.network, diag, tc.table, want, ok, err)
		}
		if _, err := diagSocketOf(netip.AddrPortFrom(client.Addr(), 1), server); !errors.Is(err, errNoSocket) {
			t.Errorf("%s: a port of no connection: got %v, want errNoSocket", tc.network, err)
		}
		c.Close()
	}
}
