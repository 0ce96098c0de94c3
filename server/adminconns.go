package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// adminMaxConns caps the admin listener's open connections, apart from
// the proxy's limits.max_client_conns: a browser holds a few and an event
// stream, the CLI and Prometheus one each. fdReserve counts them.
const adminMaxConns = 32

// adminListener caps the admin connections. At the cap, a new connection
// takes the place of the oldest one that is not serving a request (an
// idle keep-alive, or a head that has not arrived): a flood of partial
// heads then cuts its own connections, and /healthz still gets through.
// Only when every connection is serving a request (event streams) is the
// new one answered 503 and closed.
type adminListener struct {
	net.Listener
	max int
	log zerolog.Logger

	mu    sync.Mutex
	conns map[*adminConn]struct{}
	seq   uint64 // accept order, for "oldest"
}

func newAdminListener(l net.Listener, max int, log zerolog.Logger) *adminListener {
	return &adminListener{Listener: l, max: max, log: log, conns: map[*adminConn]struct{}{}}
}

// adminConn is one admin connection; busy counts its requests in a
// handler (adminConnContext and adminBusy mark them).
type adminConn struct {
	net.Conn
	l    *adminListener
	n    uint64
	busy atomic.Int32
	once sync.Once
}

func (c *adminConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

func (l *adminListener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if c := l.admit(nc); c != nil {
			return c, nil
		}
	}
}

// admit adds nc, making room by closing the oldest idle connection; nil
// means it was refused.
func (l *adminListener) admit(nc net.Conn) *adminConn {
	l.mu.Lock()
	var victim *adminConn
	if len(l.conns) >= l.max {
		for c := range l.conns {
			if c.busy.Load() == 0 && (victim == nil || c.n < victim.n) {
				victim = c
			}
		}
		if victim == nil {
			l.mu.Unlock()
			l.refuse(nc)
			return nil
		}
		delete(l.conns, victim)
	}
	l.seq++
	c := &adminConn{Conn: nc, l: l, n: l.seq}
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	if victim != nil {
		victim.Conn.Close()
		l.log.Warn().Int("max", l.max).Str("closed", victim.RemoteAddr().String()).
			Msg("admin listener: too many connections; closed the oldest idle one")
	}
	return c
}

// refuse answers 503 in the background and closes nc.
func (l *adminListener) refuse(nc net.Conn) {
	l.log.Warn().Int("max", l.max).Str("client", nc.RemoteAddr().String()).
		Msg("admin listener: too many connections serving requests; refusing a new one with 503")
	go func() {
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(time.Second))
		msg := fmt.Sprintf("telltale: the admin API has %d connections serving requests; try again later\n", l.max)
		fmt.Fprintf(nc, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(msg), msg)
		io.Copy(io.Discard, io.LimitReader(nc, 64<<10))
	}()
}

type adminConnKey struct{}

// adminConnContext is the admin http.Server's ConnContext: it lets
// adminBusy find the request's connection (under TLS too).
func adminConnContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = tc.NetConn()
	}
	if ac, ok := c.(*adminConn); ok {
		return context.WithValue(ctx, adminConnKey{}, ac)
	}
	return ctx
}

// adminBusy marks the request's connection busy while h serves it, so
// that admit does not close it.
func adminBusy(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ac, ok := r.Context().Value(adminConnKey{}).(*adminConn); ok {
			ac.busy.Add(1)
			defer ac.busy.Add(-1)
		}
		h.ServeHTTP(w, r)
	})
}
