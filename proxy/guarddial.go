package proxy

import (
	"context"
	"errors"
	"net"
	"time"
)

// fallbackDelay is how long a dial waits for one address before it tries
// the next as well: net.Dialer's Happy Eyeballs delay (RFC 8305), so that
// a host whose IPv6 path drops packets is still reached over IPv4 at once.
const fallbackDelay = 300 * time.Millisecond

type dialResult struct {
	c   net.Conn
	err error
}

// dialVetted dials the guard's checked addresses (guard.go) the way
// net.Dialer dials a name's: the first at once, the next when the one
// before failed or has not connected within fallbackDelay; the first to
// connect wins and the others are cancelled (and closed if they connect).
func dialVetted(ctx context.Context, addrs []string, dial func(context.Context, string) (net.Conn, error)) (net.Conn, error) {
	if len(addrs) == 1 {
		return dial(ctx, addrs[0])
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan dialResult, len(addrs))
	timer := time.NewTimer(0)
	defer timer.Stop()
	var errs []error
	started := 0
	for len(errs) < len(addrs) {
		select {
		case <-timer.C:
		case r := <-results:
			if r.err == nil {
				go closeLosers(results, started-len(errs)-1)
				return r.c, nil
			}
			errs = append(errs, r.err)
		case <-ctx.Done():
			go closeLosers(results, started-len(errs))
			return nil, errors.Join(append(errs, ctx.Err())...)
		}
		if started < len(addrs) {
			a := addrs[started]
			started++
			go func() { c, err := dial(ctx, a); results <- dialResult{c, err} }()
			timer.Reset(fallbackDelay)
		}
	}
	return nil, errors.Join(errs...)
}

// closeLosers closes the connections of the n dials still in flight.
func closeLosers(results <-chan dialResult, n int) {
	for range n {
		if r := <-results; r.c != nil {
			r.c.Close()
		}
	}
}
