package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// pending is one Append waiting for the commit loop. The caller blocks on
// done until the loop has finished with it, so the loop may write rec.
type pending struct {
	rec     *Record
	capture uint64      // rec.Capture as given, restored if the commit fails
	stored  *inlineBody // bytes for the bodies bucket, or nil
	copy    *inlineBody // a sealed body's redacted copy, or nil
	err     error       // this record's own refusal; the group still commits
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

// commitLoop is the only writer of the WAL. It takes whatever appends are
// queued, up to MaxBatch, writes them as one group with one flush and
// wakes their callers: an idle store commits a lone append at once, a busy
// one pays one flush for many appends. Lazy appends wait, up to LazyDelay,
// for an urgent one to share its flush. It exits when Close closes the
// queue and it is drained.
func (s *Store) commitLoop() {
	defer close(s.done)
	defer close(s.toIndex)
	batch := make([]*pending, 0, s.opts.MaxBatch)
	var lazy []*pending
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	probe := time.NewTicker(probeEvery)
	defer probe.Stop()
	for {
		var probing <-chan time.Time
		if s.wal.noRoom != nil {
			probing = probe.C // a full log looks for space again (wal_space.go)
		}
		select {
		case <-probing:
			s.wal.probe()
			s.publishFull()
			continue
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

// commit makes a group durable in the WAL, reports to every caller and
// hands the group to the indexer. If the write fails, every caller gets
// its error and none of the group is visible.
func (s *Store) commit(batch []*pending) {
	start := time.Now()
	entries, err := s.logGroup(batch)
	took := time.Since(start)
	s.record(batch, took, err)
	if s.opts.OnCommit != nil {
		s.opts.OnCommit(len(batch), took, err)
	}
	for _, p := range batch {
		if err != nil || p.err != nil {
			p.rec.Seq, p.rec.Capture = 0, p.capture
		}
		if err != nil {
			p.done <- err
			continue
		}
		p.done <- p.err
	}
	if len(entries) > 0 {
		s.toIndex <- entries
	}
}

// logGroup gives each record of batch its Seq and writes the group to the
// WAL with one flush. A record the log must refuse gets its p.err and
// takes no Seq; only a failed write fails the group. While the disk is
// full (refusal), only stand-ins are written, into the log's reserve.
func (s *Store) logGroup(batch []*pending) ([]walEntry, error) {
	if err := s.wal.release(s.indexed.Load()); err != nil {
		s.log.Warn().Err(err).Msg("store: remove indexed wal segment")
	}
	defer s.publishFull()
	s.wal.probe()
	standIns, refuse := s.refusal()
	links := s.links.begin()
	last := s.seq
	entries := make([]walEntry, 0, len(batch))
	frames := s.wal.buf[:0]
	for _, p := range batch {
		if refuse != nil && !(standIns && standIn(p.rec)) {
			p.err = refuse
			continue
		}
		e, err := s.assign(p, last+1, links)
		if err != nil {
			p.err = err
			continue
		}
		n := len(frames)
		frames = appendFrame(frames, &e)
		if size := len(frames) - n - frameHeader; size > maxFrame {
			// Replay would read a frame this long as torn: refuse it now,
			// before anyone is told it is durable.
			frames = frames[:n]
			p.err = fmt.Errorf("record of %d bytes exceeds the write-ahead log's frame limit of %d: %w", size, maxFrame, ErrInvalid)
			links.drop(p.rec)
			continue
		}
		if refuse != nil && len(frames)-n > maxStandIn {
			frames, p.err = frames[:n], refuse
			links.drop(p.rec)
			continue
		}
		last = e.seq
		entries = append(entries, e)
	}
	if cap(frames) <= maxKeptFrames {
		s.wal.buf = frames
	}
	if len(entries) == 0 {
		return nil, nil
	}
	if f := s.opts.beforeSync; f != nil {
		if err := f(len(entries)); err != nil {
			links.undo()
			return nil, err
		}
	}
	if err := s.wal.write(frames, last, refuse != nil); err != nil {
		links.undo()
		return nil, err
	}
	s.seq = last
	s.durable.Store(last)
	return entries, nil
}

// refusal is why the log takes no ordinary record now, nil when it does:
// the disk is full, or the indexer has been failing for maxFailingLag
// records. standIns says whether it still takes those (into the reserve).
func (s *Store) refusal() (standIns bool, why error) {
	if s.wal.noRoom != nil {
		return true, s.wal.noRoom
	}
	lag := s.durable.Load() - s.indexed.Load()
	if ierr := s.indexFailure(); ierr != nil && lag >= maxFailingLag {
		return lag < maxLag, fmt.Errorf("the index is %d records behind and failing: %w", lag, ierr)
	}
	return false, nil
}

// maxKeptFrames bounds the frame buffer the commit loop keeps for the next
// group: a group of large inline bodies does not pin its memory.
const maxKeptFrames = 4 << 20

// assign gives p's record the Seq seq and returns its WAL entry.
func (s *Store) assign(p *pending, seq uint64, links *linkTx) (walEntry, error) {
	r := p.rec
	r.Seq = seq
	if r.Kind != KindResponse && r.Capture == 0 {
		r.Capture = r.Seq
	}
	if err := links.add(r); err != nil {
		return walEntry{}, err
	}
	value, leaf, err := encodeRecord(r, p.enc)
	if err == nil && s.opts.FailRecord != nil {
		err = s.opts.FailRecord(r)
	}
	if err != nil {
		links.drop(r)
		return walEntry{}, err
	}
	return newEntry(r, value, leaf, p), nil
}

// record updates the stats after a group.
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

// newEntry is the WAL entry of r, whose Seq is set.
func newEntry(r *Record, value, leaf []byte, p *pending) walEntry {
	e := walEntry{seq: r.Seq, value: value, leaf: leaf,
		kind: r.Kind, capture: r.Capture, host: r.Host, time: r.Time}
	for _, b := range []*inlineBody{p.stored, p.copy} {
		if b != nil {
			e.bodies = append(e.bodies, b)
		}
	}
	return e
}

// encodeRecord returns r's stored value and leaf data, r's Seq and Capture
// set.
func encodeRecord(r *Record, enc *encoded) (value, leaf []byte, err error) {
	if enc != nil {
		if value, leaf, ok := enc.finish(r); ok {
			return value, leaf, nil
		}
	}
	if r.Salts == nil { // a record written without Append: it gets a v2 leaf too
		if r.Salts, err = newSalts(r); err != nil {
			return nil, nil, err
		}
	}
	if value, err = json.Marshal(r); err != nil {
		return nil, nil, fmt.Errorf("encode record: %w", err)
	}
	if leaf, err = LeafData(r); err != nil {
		return nil, nil, err
	}
	return value, leaf, nil
}
