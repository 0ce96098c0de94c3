package proxy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// upstreamPool sends each request once, on one connection, and never again.
//
// http.Transport.RoundTrip retries a request on a fresh connection when it
// thinks that is safe: a replayable request (GET, HEAD, a nil body, an
// Idempotency-Key header) after a reused connection fails, and for HTTP/2
// any request whose connection became unusable, which after a GOAWAY loops
// without end (net/http transport.go roundTrip, shouldRetryRequest;
// h2_bundle.go RoundTripOpt). Every such retry would reach the vendor
// unrecorded. http.ClientConn.RoundTrip (Go 1.26) is one attempt on one
// connection, so the pool keeps its own connections and a request that
// fails is answered with the failure, which the client may retry as a
// new, recorded attempt.
type upstreamPool struct {
	t    *http.Transport // dialing, TLS, parent proxy, HTTP/2
	idle time.Duration   // close connections unused this long

	mu      sync.Mutex
	conns   map[string][]*pooledConn // by scheme and host:port
	closed  bool
	janitor *time.Timer // sweeps while the pool holds connections
}

type pooledConn struct {
	cc *http.ClientConn
	// lastUsed is atomic, not under upstreamPool.mu: ClientConn runs its
	// state hook synchronously from Reserve and Close, which the pool
	// calls while holding mu.
	lastUsed atomic.Int64 // unix nanoseconds
}

func (pc *pooledConn) touch() { pc.lastUsed.Store(time.Now().UnixNano()) }

func newUpstreamPool(t *http.Transport, idle time.Duration) *upstreamPool {
	return &upstreamPool{t: t, idle: idle, conns: make(map[string][]*pooledConn)}
}

// errPoolClosed is a request after Close.
var errPoolClosed = errors.New("upstream connections closed: proxy shutting down")

// RoundTrip sends req on an idle connection to its host, or on a new one.
func (p *upstreamPool) RoundTrip(req *http.Request) (*http.Response, error) {
	cc, err := p.get(req.Context(), req.URL.Scheme, hostPort(req.URL.Scheme, req.URL.Host))
	if err != nil {
		return nil, err
	}
	return cc.RoundTrip(req)
}

// get returns a connection with a slot reserved for one request.
func (p *upstreamPool) get(ctx context.Context, scheme, addr string) (*http.ClientConn, error) {
	key := scheme + "://" + addr
	if cc, err := p.reserveIdle(key); cc != nil || err != nil {
		return cc, err
	}
	cc, err := p.t.NewClientConn(ctx, scheme, addr)
	if err != nil {
		return nil, err
	}
	if err := cc.Reserve(); err != nil {
		cc.Close()
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		cc.Close()
		return nil, errPoolClosed
	}
	pc := &pooledConn{cc: cc}
	pc.touch()
	cc.SetStateHook(func(*http.ClientConn) { pc.touch() })
	p.conns[key] = append(p.conns[key], pc)
	if p.janitor == nil {
		p.janitor = time.AfterFunc(p.idle, p.sweep)
	}
	return cc, nil
}

// sweep runs every p.idle while the pool holds connections.
func (p *upstreamPool) sweep() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.sweepLocked(time.Now())
	if len(p.conns) == 0 {
		p.janitor = nil
		return
	}
	p.janitor.Reset(p.idle)
}

// reserveIdle reserves a slot on a live connection for key. (Reserve
// fails on a broken connection; sweep removes those.)
func (p *upstreamPool) reserveIdle(key string) (*http.ClientConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errPoolClosed
	}
	for _, pc := range p.conns[key] {
		if pc.cc.Reserve() == nil {
			pc.touch()
			return pc.cc, nil
		}
	}
	return nil, nil
}

// sweepLocked drops broken connections and closes those idle past p.idle.
func (p *upstreamPool) sweepLocked(now time.Time) {
	for key, list := range p.conns {
		for _, pc := range list {
			switch {
			case pc.cc.Err() != nil:
				p.removeLocked(key, pc)
			case pc.cc.InFlight() == 0 && now.Sub(time.Unix(0, pc.lastUsed.Load())) > p.idle:
				p.removeLocked(key, pc)
				go pc.cc.Close()
			}
		}
	}
}

func (p *upstreamPool) removeLocked(key string, pc *pooledConn) {
	list := p.conns[key]
	for i, c := range list {
		if c == pc {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(p.conns, key)
		return
	}
	p.conns[key] = list
}

// Close closes every connection and refuses further requests.
func (p *upstreamPool) Close() {
	p.mu.Lock()
	p.closed = true
	if p.janitor != nil {
		p.janitor.Stop()
	}
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, list := range conns {
		for _, pc := range list {
			pc.cc.Close()
		}
	}
}

// hostPort adds the scheme's default port to a URL host without one.
func hostPort(scheme, host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	if scheme == "http" {
		return net.JoinHostPort(host, "80")
	}
	return net.JoinHostPort(host, "443")
}
