package store

import "fmt"

// links checks, in the commit loop and without a bbolt transaction, that a
// response completes an earlier request that has no response yet.
// Requests appended since Open are tracked in memory; a response to an
// older capture (rare: a recovery after a restart) is checked in bbolt,
// which holds every record older than Open.
type links struct {
	awaiting map[uint64]struct{} // requests appended since Open, not yet answered
	before   uint64              // the log's size at Open
	answered map[uint64]struct{} // older captures answered since Open
	check    func(capture uint64) error
	tx       linkTx
}

// linkTx is what one group changed, to undo it if its write fails.
type linkTx struct {
	l        *links
	added    []uint64 // requests put in awaiting
	removed  []uint64 // captures taken out of awaiting
	answered []uint64 // put in answered
}

func newLinks(before uint64, check func(uint64) error) *links {
	l := &links{awaiting: map[uint64]struct{}{}, answered: map[uint64]struct{}{}, before: before, check: check}
	l.tx.l = l
	return l
}

// begin starts a group.
func (l *links) begin() *linkTx {
	l.tx.added, l.tx.removed, l.tx.answered = l.tx.added[:0], l.tx.removed[:0], l.tx.answered[:0]
	return &l.tx
}

// add takes r, whose Seq is set, into the links, or refuses it.
func (t *linkTx) add(r *Record) error {
	l := t.l
	switch r.Kind {
	case KindRequest:
		l.awaiting[r.Seq] = struct{}{}
		t.added = append(t.added, r.Seq)
		return nil
	case KindResponse:
	default:
		return nil
	}
	c := r.Capture
	if c == 0 || c >= r.Seq {
		return fmt.Errorf("response to capture %d: %w", c, ErrInvalid)
	}
	if _, ok := l.awaiting[c]; ok {
		delete(l.awaiting, c)
		t.removed = append(t.removed, c)
		return nil
	}
	if _, done := l.answered[c]; c > l.before || done {
		return fmt.Errorf("response to capture %d, which is not a request awaiting one: %w", c, ErrInvalid)
	}
	if err := l.check(c); err != nil {
		return err
	}
	l.answered[c] = struct{}{}
	t.answered = append(t.answered, c)
	return nil
}

// drop undoes add(r) when r could not be encoded after all.
func (t *linkTx) drop(r *Record) {
	l := t.l
	switch {
	case r.Kind == KindRequest:
		delete(l.awaiting, r.Seq)
		t.added = t.added[:len(t.added)-1]
	case r.Kind != KindResponse:
	case len(t.removed) > 0 && t.removed[len(t.removed)-1] == r.Capture:
		l.awaiting[r.Capture] = struct{}{}
		t.removed = t.removed[:len(t.removed)-1]
	case len(t.answered) > 0 && t.answered[len(t.answered)-1] == r.Capture:
		delete(l.answered, r.Capture)
		t.answered = t.answered[:len(t.answered)-1]
	}
}

// undo reverts the whole group.
func (t *linkTx) undo() {
	l := t.l
	// Put back first: a request answered in the same group goes for good.
	for _, c := range t.removed {
		l.awaiting[c] = struct{}{}
	}
	for _, c := range t.added {
		delete(l.awaiting, c)
	}
	for _, c := range t.answered {
		delete(l.answered, c)
	}
}
