package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Append writes r to the log and returns its Seq once it is durable: the
// proxy forwards a request only after its record is appended.
//
// Append sets r.Seq, r.Capture (to r.Seq for a record that opens a
// capture; a response must name the request it completes) and, when body
// is not nil, r.Body: body.Ref(), or body.PartialRef() if r.Body already
// holds that. A zero r.Time is set from Options.Now. Append takes the
// body's stored bytes; the caller still closes body.
//
// Append makes r what reading the record back gives (see canonicalize):
// invalid UTF-8 in its strings becomes U+FFFD, in place. It sets r.Salts
// to fresh random salts: every new record gets a v2 leaf.
//
// Appends from many goroutines are committed together (see commitLoop).
// ctx bounds only the wait for a place in the queue: once queued, Append
// waits for the commit, which is bounded by the disk.
func (s *Store) Append(ctx context.Context, r *Record, body *Body) (uint64, error) {
	return s.append(ctx, r, body, false)
}

// AppendLazy is Append for a record nobody waits on, such as a response
// that has already reached the client: its commit may be delayed by up to
// Options.LazyDelay so that it rides along with the next urgent Append
// instead of costing a commit (two fsyncs) of its own. It still returns
// only once the record is durable.
func (s *Store) AppendLazy(ctx context.Context, r *Record, body *Body) (uint64, error) {
	return s.append(ctx, r, body, true)
}

func (s *Store) append(ctx context.Context, r *Record, body *Body, lazy bool) (uint64, error) {
	if s.opts.ReadOnly {
		return 0, fmt.Errorf("append: %w", ErrReadOnly)
	}
	s.pruneMu.RLock() // see Prune: a deduplicated body must outlive this append
	defer s.pruneMu.RUnlock()
	if r.Time.IsZero() {
		r.Time = s.opts.Now()
	}
	if err := checkRecord(r); err != nil {
		return 0, fmt.Errorf("append: %w", err)
	}
	p := &pending{rec: r, capture: r.Capture, done: make(chan error, 1), lazy: lazy}
	if body != nil {
		ref, stored, err := body.seal(r.Body)
		if err != nil {
			return 0, fmt.Errorf("append: %w", err)
		}
		r.Body, p.stored = ref, stored
	}
	if err := checkRef(r.Body); err != nil {
		return 0, fmt.Errorf("append: body: %w", err)
	}
	if err := canonicalize(r); err != nil {
		return 0, fmt.Errorf("append: %w", err)
	}
	var err error
	if r.Salts, err = newSalts(r); err != nil {
		return 0, fmt.Errorf("append: %w", err)
	}
	r.Seal = nil
	if p.copy, err = s.sealBody(r, p.stored); err != nil {
		return 0, fmt.Errorf("append: %w", err)
	}
	if p.enc, err = preEncode(r); err != nil {
		return 0, fmt.Errorf("append: %w", err)
	}
	if err := s.enqueue(ctx, p); err != nil {
		return 0, fmt.Errorf("append: %w", err)
	}
	if err := <-p.done; err != nil {
		return 0, fmt.Errorf("append: %w", err)
	}
	return r.Seq, nil
}

// enqueue hands p to the commit loop.
func (s *Store) enqueue(ctx context.Context, p *pending) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.queue <- p:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// canonicalize makes r what reading its record back gives, so that the
// leaf computed from r is the leaf a verifier recomputes from the stored
// bytes. encoding/json round-trips every record field unchanged except
// invalid UTF-8, which it writes as U+FFFD: so that is replaced here, in
// place, in the caller's goroutine (a JSON round trip per record would cost
// the proxy a tenth of its CPU).
func canonicalize(r *Record) error {
	fix := func(s *string) {
		if !utf8.ValidString(*s) {
			*s = strings.ToValidUTF8(*s, "\uFFFD")
		}
	}
	for _, s := range []*string{&r.Client, &r.Host, &r.Port, &r.Error} {
		fix(s)
	}
	if r.Process != nil {
		for _, s := range r.Process.fields() {
			fix(s) // a Linux path may be any bytes
		}
	}
	if h := r.Head; h != nil {
		fix(&h.Method)
		fix(&h.URL)
		fix(&h.Proto)
		for _, fs := range [][]Header{h.Headers, h.Trailers} {
			for i := range fs {
				fix(&fs[i].Name)
				fix(&fs[i].Value)
			}
		}
	}
	if t := r.TLS; t != nil {
		for _, s := range []*string{&t.ServerName, &t.Version, &t.CipherSuite, &t.ALPN, &t.LeafSHA256} {
			fix(s)
		}
	}
	return nil
}

// checkRecord refuses records the log cannot hold; the commit loop checks
// a response's link to its request.
func checkRecord(r *Record) error {
	switch r.Kind {
	case KindIndex:
		if r.Capture != 0 || r.Head != nil {
			return fmt.Errorf("index record with capture %d or a head: %w", r.Capture, ErrInvalid)
		}
	case KindRequest, KindTunnel, KindDenied:
		if r.Capture != 0 {
			return fmt.Errorf("%s record with capture %d: %w", r.Kind, r.Capture, ErrInvalid)
		}
	case KindResponse:
		if r.Capture == 0 {
			return fmt.Errorf("response without capture: %w", ErrInvalid)
		}
	default:
		return fmt.Errorf("kind %q: %w", r.Kind, ErrInvalid)
	}
	if r.Time.Before(minTime) || r.Time.After(maxTime) {
		return fmt.Errorf("time %v: %w", r.Time, ErrInvalid)
	}
	if r.RequestBody != nil {
		if err := checkRef(*r.RequestBody); err != nil {
			return fmt.Errorf("request body: %w", err)
		}
	}
	return nil
}

// checkRef refuses a BodyRef that its leaf would not pin down: every
// field but Pruned must follow from the leaf's body and stored lines.
func checkRef(b BodyRef) error {
	known := isSHA256(b.SHA256) && b.Size >= 0
	unknown := b.SHA256 == "" && (b.Truncated && b.Size == -1 || !b.Truncated && b.Size == 0)
	stored := isSHA256(b.StoredSHA256) && b.StoredSize >= 0
	if !(known || unknown) || b.Truncated != stored || !b.Truncated && (b.StoredSHA256 != "" || b.StoredSize != 0) {
		return fmt.Errorf("malformed %+v: %w", b, ErrInvalid)
	}
	return nil
}
