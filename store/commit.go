package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// pending is one Append waiting for the commit loop. The caller blocks on
// done until the loop has finished with it, so the loop may write rec.
type pending struct {
	rec     *Record
	capture uint64      // rec.Capture as given, restored if the commit fails
	stored  *inlineBody // bytes for the bodies bucket, or nil
	copy    *inlineBody // a sealed body's redacted copy, or nil
	err     error       // this record's own refusal; the batch still commits
	done    chan error  // buffered: the loop never blocks on a caller
	lazy    bool        // may wait up to LazyDelay to share a commit (AppendLazy)
	enc     *encoded    // the record's JSON, made by the caller (encode.go)
}

// inlineBody is a small body to store in the bodies bucket under its
// content address. data is not modified once handed over.
type inlineBody struct {
	key  string
	data []byte
}

// commitLoop is the only writer. It takes whatever appends are queued, up
// to MaxBatch, commits them in one transaction and wakes their callers: an
// idle store commits a lone append at once, a busy one pays one commit for
// many appends. Lazy appends wait, up to LazyDelay, for an urgent one to
// share its commit. It exits when Close closes the queue and it is drained.
func (s *Store) commitLoop() {
	defer close(s.done)
	batch := make([]*pending, 0, s.opts.MaxBatch)
	var lazy []*pending
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case p, ok := <-s.queue:
			if !ok {
				if len(lazy) > 0 {
					s.commit(lazy)
				}
				return
			}
			if p.lazy && len(lazy)+1 < s.opts.MaxBatch {
				if len(lazy) == 0 {
					timer.Reset(s.opts.LazyDelay)
				}
				lazy = append(lazy, p)
				continue
			}
			batch = append(append(batch[:0], lazy...), p)
		case <-timer.C:
			batch = append(batch[:0], lazy...)
		}
		timer.Stop()
		lazy = lazy[:0]
		if batch = s.fill(batch); len(batch) > 0 {
			s.commit(batch)
		}
		clear(batch) // let the records go
	}
}

// fill adds to batch whatever else is queued, up to MaxBatch, without
// waiting.
func (s *Store) fill(batch []*pending) []*pending {
	for len(batch) < s.opts.MaxBatch {
		select {
		case p, ok := <-s.queue:
			if !ok {
				return batch
			}
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

// commit writes a batch in one transaction and reports to every caller.
// If the transaction fails, every caller gets its error and none of the
// batch is visible.
func (s *Store) commit(batch []*pending) {
	start := time.Now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		w, err := newTxWriter(tx)
		if err != nil {
			return err
		}
		w.fail = s.opts.FailRecord
		for _, p := range batch {
			if err := w.append(p); err != nil {
				return err
			}
		}
		if err := w.finish(); err != nil {
			return err
		}
		if s.opts.beforeCommit != nil {
			return s.opts.beforeCommit(tx)
		}
		return nil
	})
	took := time.Since(start)
	s.record(batch, took, err)
	if s.opts.OnCommit != nil {
		s.opts.OnCommit(len(batch), took, err)
	}
	for _, p := range batch {
		if err != nil {
			p.rec.Seq, p.rec.Capture = 0, p.capture
			p.done <- err
			continue
		}
		p.done <- p.err
	}
}

// record updates the stats after a commit.
func (s *Store) record(batch []*pending, took time.Duration, err error) {
	if err != nil {
		s.log.Error().Err(err).Int("records", len(batch)).Msg("store: commit failed")
	}
	n := 0
	for _, p := range batch {
		if err == nil && p.err == nil {
			n++
		}
	}
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.stats.Failed += uint64(len(batch) - n)
	if err != nil {
		return
	}
	s.stats.Appends += uint64(n)
	s.stats.Batches++
	s.stats.LastBatch = n
	s.stats.MaxBatch = max(s.stats.MaxBatch, n)
	s.stats.LastCommit = took
}
