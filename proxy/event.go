package proxy

import (
	"time"

	"github.com/telltale/telltale/store"
)

// Event describes one finished exchange, tunnel or refusal, for metrics and
// alerts. Options.Observe receives it synchronously: keep it cheap.
type Event struct {
	Kind          string // store.CaptureExchange, CaptureTunnel or CaptureDenied
	ID            uint64 // capture id; 0 when nothing could be recorded
	Host          string
	Method        string
	URL           string
	Status        int // 0 when there was no response
	RequestBytes  int64
	ResponseBytes int64
	Duration      time.Duration
	Err           string // what went wrong, "" when nothing did
	// UpstreamFailed is set when the upstream could not be reached or
	// failed TLS verification: the client got Telltale's 502.
	UpstreamFailed bool
	// CaptureFailed is set when the store refused the record; for a
	// request, it was not forwarded.
	CaptureFailed bool
	// Client is the proxy client's ip:port (set on refusals of TLS and
	// pass-throughs).
	Client string
	// RefusedTLS is set on the denied record of a client that aborted
	// the TLS handshake with Telltale's certificate (refusal.go).
	RefusedTLS bool
	// PassThrough is set on a tunnel to an intercepted host passed
	// through after its client's refusals, and on the refusal that
	// started the pass-through.
	PassThrough bool
}

func (p *Proxy) observe(e Event) {
	if p.opts.Observe != nil {
		p.opts.Observe(e)
	}
}

// exchangeEvent summarises a finished intercepted exchange.
func exchangeEvent(o *outbound, rec *store.Record, aerr error) Event {
	e := Event{
		Kind:          store.CaptureExchange,
		ID:            o.capture,
		Host:          o.host,
		Method:        o.in.Method,
		URL:           o.capturedURL(),
		RequestBytes:  o.body.Ref().Size,
		ResponseBytes: rec.Body.Size,
		Duration:      rec.Timings.End.Sub(rec.Timings.Start),
		Err:           rec.Error,
		CaptureFailed: aerr != nil,
	}
	if rec.Head != nil {
		e.Status = rec.Head.Status
	} else if rec.Error != "" {
		e.UpstreamFailed = true
	}
	return e
}
