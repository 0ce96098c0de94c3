package main

import (
	"io"
	"net/http"
	"time"
)

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
