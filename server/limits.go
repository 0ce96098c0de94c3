package server

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// fdReserve is the descriptors serve needs besides client connections and
// their upstreams: the store, logs, the admin listener and its clients
// (adminMaxConns of them).
const fdReserve = 32 + adminMaxConns

// openFileLimit is fdLimit; tests replace it.
var openFileLimit = fdLimit

// fitConns lowers limits.max_client_conns to what an open file limit of
// nofile allows (each client connection may hold an upstream connection
// too, and fdReserve stays free), saying why, or returns it as it is with
// "" when it fits.
func fitConns(maxConns int, nofile uint64) (int, string) {
	need := 2*uint64(maxConns) + fdReserve
	if need <= nofile {
		return maxConns, ""
	}
	fit := int(max(int64(nofile)-fdReserve, 2) / 2)
	return fit, fmt.Sprintf("limits.max_client_conns %d needs up to %d open files but the limit is %d: "+
		"serving at most %d client connections, so that clients cannot exhaust it and block the admin API and the store; "+
		"raise the limit (LimitNOFILE, ulimit -n) for more", maxConns, need, nofile, fit)
}

// maxClientConns is limits.max_client_conns, fitted to the open file
// limit.
func (s *Server) maxClientConns() int {
	n := s.cfg.Limits.MaxClientConns
	if nofile, ok := openFileLimit(); ok {
		var why string
		if n, why = fitConns(n, nofile); why != "" {
			s.log.Warn().Str("component", "serve").Msg(why)
		}
	}
	return n
}

// bodyDeadline gives a request with a body at most d to deliver all of it
// (limits.idle_timeout), so a client trickling a byte at a time cannot hold
// an admin connection open. A request without a body, such as an event
// stream, is not bounded: the read deadline would also cut its response
// (net/http cancels the request when its background read times out), so
// it is lifted as soon as the body has been read.
func bodyDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			rc := http.NewResponseController(w)
			rc.SetReadDeadline(time.Now().Add(d))
			r.Body = &liftOnEOF{ReadCloser: r.Body, lift: func() { rc.SetReadDeadline(time.Time{}) }}
		}
		h.ServeHTTP(w, r)
	})
}

// liftOnEOF calls lift once the body has been read to its end.
type liftOnEOF struct {
	io.ReadCloser
	lift func()
	done bool
}

func (l *liftOnEOF) Read(p []byte) (int, error) {
	n, err := l.ReadCloser.Read(p)
	if err == io.EOF && !l.done {
		l.done = true
		l.lift()
	}
	return n, err
}
