package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// upstreamIdle is how long an upstream connection may sit unused in the
// pool before it is closed: under the 60s idle timeout common in load
// balancers, so that a request rarely meets a connection the far end is
// closing (the pool does not resend; the client would get a 502).
const upstreamIdle = 50 * time.Second

// newTransport configures the upstream connections that upstreamPool
// opens: HTTP/2 where the upstream offers it, TLS verified against
// opts.RootCAs with the real host name, and no header rewriting (no added
// Accept-Encoding, no transparent decompression). Its own RoundTrip, which
// retries, is never used.
func newTransport(opts Options) *http.Transport {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := opts.Resolve[addr]; ok {
				addr = to
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:       &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   15 * time.Second,
		ForceAttemptHTTP2:     true,
		DisableCompression:    true,
		ExpectContinueTimeout: time.Second,
	}
	if pf := parentFunc(opts.ParentProxy, opts.NoProxy); pf != nil {
		t.Proxy = func(r *http.Request) (*url.URL, error) { return pf(r.URL) }
	}
	return t
}

// upstreamContext bounds one upstream round trip, response body included,
// by Options.UpstreamTimeout.
func (p *Proxy) upstreamContext(ctx context.Context) (context.Context, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	d := p.opts.UpstreamTimeout
	ctx, stop := context.WithTimeoutCause(ctx, d, upstreamTimeout(d))
	return ctx, func(cause error) { cancel(cause); stop() }
}

// upstreamTimeout is why a round trip ended at upstream.timeout d; its
// text is made only if it is read.
type upstreamTimeout time.Duration

func (d upstreamTimeout) Error() string {
	return fmt.Sprintf("no complete response within upstream.timeout (%s)", time.Duration(d))
}

// roundTrip sends out once (the pool never retries) and, while the head is
// awaited, lets o.watch cancel it when the client goes away. A body that
// still streams from the client (overflow) is not watched: reading it
// notices the client's departure.
func (p *Proxy) roundTrip(o *outbound, out *http.Request, cancel context.CancelCauseFunc) (*http.Response, error) {
	if o.watch != nil && !o.overflow {
		defer o.watch(cancel)()
	}
	resp, err := p.upstream.RoundTrip(out)
	return resp, causeOf(out.Context(), err)
}

// causeOf replaces the bare context error that HTTP/2 returns with why the
// context ended (the deadline, the client's departure).
func causeOf(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return context.Cause(ctx)
	}
	return err
}

// watchClient cancels the upstream round trip when the client closes the
// connection while it waits for the response head, as net/http's server
// does with its background read. A byte of a pipelined next request stays
// buffered in s.br for the next exchange.
func (s *session) watchClient(cancel context.CancelCauseFunc) (stop func()) {
	s.tc.SetReadDeadline(time.Time{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ne net.Error
		if _, err := s.br.Peek(1); err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			cancel(errClientGone)
		}
	}()
	return func() {
		s.tc.SetReadDeadline(time.Unix(1, 0)) // ends the Peek
		<-done
		s.tc.SetReadDeadline(time.Time{})
	}
}

// errClientGone ends an upstream round trip whose client went away.
var errClientGone = errors.New("client went away before the upstream answered")
