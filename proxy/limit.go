package proxy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// limitListener caps the open client connections. A connection past the
// cap is answered 503 and closed, so that clients cannot exhaust the
// process's file descriptors (which the admin listener and the store need
// too).
type limitListener struct {
	net.Listener
	max int64
	log zerolog.Logger
	p   *Proxy // records what net/http refuses (malformed.go); nil: nothing

	open     atomic.Int64
	refusing atomic.Int64 // connections being answered 503
	lastLog  atomic.Int64 // unix seconds of the last "full" warning
}

// maxRefusing bounds the 503 answers in flight; past it a connection over
// the cap is closed without one, so a flood costs no more descriptors.
const maxRefusing = 64

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			lc := &limitedConn{Conn: c, release: func() { l.open.Add(-1) }}
			if l.p != nil {
				lc.sender = l.p.startSender(c)
				lc.sniff = &headSniffer{p: l.p, remote: c.RemoteAddr().String(), sender: lc.sender}
			}
			return lc, nil
		}
		l.open.Add(-1)
		l.refuse(c)
	}
}

// refuse answers c with 503 in the background and closes it.
func (l *limitListener) refuse(c net.Conn) {
	if now := time.Now().Unix(); l.lastLog.Swap(now) != now {
		l.log.Warn().Int64("max_client_conns", l.max).Str("client", c.RemoteAddr().String()).
			Msg("too many client connections: refusing new ones with 503 (limits.max_client_conns)")
	}
	if l.refusing.Add(1) > maxRefusing {
		l.refusing.Add(-1)
		c.Close()
		return
	}
	go func() {
		defer l.refusing.Add(-1)
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		msg := fmt.Sprintf("telltale: too many client connections (limits.max_client_conns: %d); try again later", l.max)
		if writeStatus(c, http.StatusServiceUnavailable, msg, true) != nil {
			return
		}
		// Read what the client sent before closing, so that the close
		// does not reset the connection and discard the answer.
		closeWrite(c)
		io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}()
}

// limitedConn gives its slot back once, on the first Close.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
	sniff   *headSniffer // nil: not watched
	sender  *sender      // the lookup of the process that opened it; nil: a remote client
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite keeps half-closing possible for tunnels (splice).
func (c *limitedConn) CloseWrite() error {
	closeWrite(c.Conn)
	return nil
}

// stallBody bounds how long a read of a plain-HTTP request body may stall
// (Options.IdleTimeout), as stallReader does inside intercepted TLS. At the
// end of the body the deadline is lifted: net/http then reads in the
// background to notice the client leaving, and a deadline there would
// cancel the request.
type stallBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
}

func (s *stallBody) Read(p []byte) (int, error) {
	s.rc.SetReadDeadline(time.Now().Add(s.timeout))
	n, err := s.ReadCloser.Read(p)
	if err == io.EOF {
		s.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
