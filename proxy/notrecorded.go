package proxy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/telltale/telltale/store"
)

// When the store refuses a response record (a full disk), the request was
// already recorded and forwarded and the client has its response: the
// capture must not be left looking in flight, silently. The proxy tries
// the record again a few times, then reports the failure (log, event:
// metric and alert) and keeps trying to append the small record that
// says the response was not recorded (store.NotRecordedFor), until the
// store takes it or the proxy shuts down; a capture still open then is
// marked by the store's next writable open.

// responseRetries are the waits before each new attempt at a response
// record the store refused.
var responseRetries = []time.Duration{50 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}

// markEvery is the wait between attempts at the record that says a
// response was not recorded.
var markEvery = 5 * time.Second

// recordRefused records a request the store refused, which was therefore
// not forwarded, as a denied record that says so: a full disk's store
// takes it into its reserve (store.RequestNotRecorded). It returns its id,
// 0 if the store refused that too. The client gets its 502 either way.
func (p *Proxy) recordRefused(o *outbound, err error) uint64 {
	rec := &store.Record{
		Kind: store.KindDenied, Time: p.now(), Client: o.client, Process: o.process, Host: o.host, Port: o.port,
		Error: store.RequestNotRecorded + ": not forwarded, because the store refused its record: " + err.Error(),
		Head:  &store.Head{Method: o.in.Method, URL: o.capturedURL(), Proto: o.in.Proto, Headers: o.in.Fields},
	}
	id, aerr := p.opts.Recorder.Append(context.Background(), rec, nil)
	if aerr != nil {
		p.log.Error().Err(aerr).Str("url", rec.Head.URL).Msg("the refused request is not recorded either: this log line is all there is of it")
		return 0
	}
	return id
}

// retryResponse appends rec again after the store refused it with err,
// and returns nil once it is durable, or the last error.
func (p *Proxy) retryResponse(o *outbound, rec *store.Record, body *store.Body, err error) error {
	for _, wait := range responseRetries {
		if !retryable(err) || !p.pause(wait) {
			return err
		}
		if _, err = p.opts.Recorder.AppendLazy(context.Background(), rec, body); err == nil {
			p.log.Warn().Uint64("id", o.capture).Msg("response record written on a retry")
			return nil
		}
	}
	return err
}

// markNotRecorded appends the record that completes o's capture when its
// response record rec could not be written.
func (p *Proxy) markNotRecorded(o *outbound, rec *store.Record, err error) {
	mark := store.NotRecordedFor(rec, notRecordedWhy(rec, err))
	for {
		_, merr := p.opts.Recorder.Append(context.Background(), mark, nil)
		if merr == nil {
			p.log.Error().Uint64("id", o.capture).Str("error", mark.Error).Msg("capture marked: response not recorded")
			return
		}
		if !retryable(merr) || !p.pause(markEvery) {
			p.log.Error().Err(merr).Uint64("id", o.capture).
				Msg("capture left without a response record; the store's next writable open (serve start) marks it")
			return
		}
	}
}

// notRecordedWhy says what was lost and why.
func notRecordedWhy(rec *store.Record, err error) string {
	switch {
	case rec.Head != nil:
		return fmt.Sprintf("the upstream answered %d, but the store refused the response record: %v", rec.Head.Status, err)
	case rec.Error != "":
		return fmt.Sprintf("%s; and the store refused the response record: %v", rec.Error, err)
	}
	return fmt.Sprintf("the store refused the response record: %v", err)
}

// retryable reports whether appending again may succeed: not for a
// record the log refuses, nor a store that is closed.
func retryable(err error) bool {
	return !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrClosed) && !errors.Is(err, store.ErrReadOnly)
}

// pause waits d unless the proxy is shutting down; it reports whether
// to go on.
func (p *Proxy) pause(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !p.isClosing() {
		left := time.Until(deadline)
		if left <= 0 {
			return true
		}
		time.Sleep(min(left, 50*time.Millisecond))
	}
	return false
}
