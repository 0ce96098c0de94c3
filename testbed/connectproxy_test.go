package testbed

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// connectProxy is a plain CONNECT tunnel, standing in for a forward proxy
// that does not intercept: it resolves the target with the LAS's map and
// copies bytes both ways.
type connectProxy struct {
	ln      net.Listener
	resolve map[string]string
	wg      sync.WaitGroup

	mu      sync.Mutex
	conns   map[net.Conn]bool
	targets []string // CONNECT targets, one per tunnel
}

func startConnectProxy(tb testing.TB, resolve map[string]string) *connectProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	p := &connectProxy{ln: ln, resolve: resolve, conns: make(map[net.Conn]bool)}
	p.wg.Add(1)
	go p.serve()
	tb.Cleanup(p.close)
	return p
}

func (p *connectProxy) URL() *url.URL { return &url.URL{Scheme: "http", Host: p.ln.Addr().String()} }

func (p *connectProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(c, true)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.track(c, false)
			p.tunnel(c)
		}()
	}
}

func (p *connectProxy) tunnel(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	target, ok := p.resolve[req.Host]
	if req.Method != http.MethodConnect || !ok {
		io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
		return
	}
	up, err := net.Dial("tcp", target)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	p.track(up, true)
	defer p.track(up, false)
	defer up.Close()
	p.mu.Lock()
	p.targets = append(p.targets, req.Host)
	p.mu.Unlock()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{})
	go func() {
		io.Copy(up, br) // br first: it may hold bytes sent right after CONNECT
		up.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(c, up)
	c.(*net.TCPConn).CloseWrite()
	<-done
}

func (p *connectProxy) track(c net.Conn, add bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		p.conns[c] = true
	} else {
		delete(p.conns, c)
	}
}

func (p *connectProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *connectProxy) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

func TestClient_Run_ThroughCONNECTProxy(t *testing.T) {
	for _, h1 := range []bool{false, true} {
		name := map[bool]string{false: "h2", true: "http1"}[h1]
		t.Run(name, func(t *testing.T) {
			las := MustStartLAS(t, LASOptions{DisableHTTP2: h1})
			proxy := startConnectProxy(t, las.Resolve())
			const n = OfflineDay + 1
			rep := MustRun(t, las, &Client{ProxyURL: proxy.URL(), RootCAs: las.RootCAs(), Seed: 3}, n)
			exs := las.Received()
			if len(exs) != Expected(n) || len(rep.Sent) != Expected(n) {
				t.Fatalf("exchanges: got %d received, %d sent, want %d", len(exs), len(rep.Sent), Expected(n))
			}
			targets := proxy.Targets()
			if len(targets) == 0 || len(targets) > 3 {
				t.Errorf("tunnels: got %v, want one per host (keep-alive)", targets)
			}
			conns := map[int]bool{}
			for i, ex := range exs {
				conns[ex.Conn] = true
				if string(ex.Body) != string(rep.Sent[i].Body) {
					t.Fatalf("exchange %d: body differs from what the client sent", i)
				}
			}
			if len(conns) != len(targets) {
				t.Errorf("LAS connections %d, proxy tunnels %d: want equal", len(conns), len(targets))
			}
		})
	}
}
