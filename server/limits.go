package server

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// fdReserve is the descriptors serve needs besides client connections and
// their upstreams: the store, logs, the admin listener and its clients.
const fdReserve = 64

// fdWarning says why limits.max_client_conns is too high for an open file
// limit of nofile, or "" when it fits: each client connection may hold an
// upstream connection too.
func fdWarning(maxConns int, nofile uint64) string {
	need := 2*uint64(maxConns) + fdReserve
	if need <= nofile {
		return ""
	}
	return fmt.Sprintf("limits.max_client_conns %d needs up to %d open files but the limit is %d: "+
		"clients could exhaust it and block the admin API; lower limits.max_client_conns to %d or raise the limit (LimitNOFILE, ulimit -n)",
		maxConns, need, nofile, max(int64(nofile)-fdReserve, 2)/2)
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
