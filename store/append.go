package store

import (
	"context"
	"encoding/json"
	"fmt"
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
// Append replaces the contents of r with what reading the record back
// gives (see canonicalize): invalid UTF-8 becomes U+FFFD, times lose their
// monotonic reading, and the pointers in r are new.
//
// Appends from many goroutines are committed together (see commitLoop).
// ctx bounds only the wait for a place in the queue: once queued, Append
// waits for the commit, which is bounded by the disk.
func (s *Store) Append(ctx context.Context, r *Record, body *Body) (uint64, error) {
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
	p := &pending{rec: r, capture: r.Capture, done: make(chan error, 1)}
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

// canonicalize replaces r with its JSON round trip. encoding/json is not
// idempotent on every value (it writes invalid UTF-8 as \ufffd, which
// reads back as U+FFFD and is then written as UTF-8), so the leaf is
// computed from the record as it reads back: that is the leaf a verifier
// recomputes from the stored bytes. Done here, in the caller's goroutine,
// to keep the work off the commit loop.
func canonicalize(r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	var c Record
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	*r = c
	return nil
}

// checkRecord refuses records the log cannot hold; the commit loop checks
// a response's link to its request.
func checkRecord(r *Record) error {
	switch r.Kind {
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
