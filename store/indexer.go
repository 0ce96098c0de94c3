package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	// maxIndexBatch is the most records the indexer applies in one bbolt
	// transaction.
	maxIndexBatch = 8192
	// indexWait is the default Options.ReadWait.
	indexWait = 15 * time.Second
	// indexRetry is the pause before the indexer tries a failed
	// transaction again; the records stay safe in the WAL meanwhile.
	indexRetry = time.Second
	// closeRetries is how often Close lets the indexer retry before it
	// leaves the rest to the WAL, for the next Open to apply.
	closeRetries = 3
)

// indexLoop applies the WAL's groups to bbolt, taking as many as are
// queued into one transaction. While a transaction fails (a full disk) it
// retries every indexRetry, and keeps taking the commit loop's groups
// meanwhile, so that the commit loop never waits on a failing indexer
// (commit.go refuses appends instead: refusal). It exits when the commit
// loop closes toIndex and everything is applied or given up on.
func (s *Store) indexLoop() {
	defer close(s.indexDone)
	var pending []walEntry
	for failures := 0; ; {
		if len(pending) == 0 {
			group, ok := <-s.toIndex
			if !ok {
				return
			}
			pending = group
		}
		if len(pending) < maxIndexBatch {
			pending = s.gather(pending)
		}
		n := min(len(pending), maxIndexBatch)
		err := s.index(pending[:n])
		if err == nil {
			failures = 0
			if pending = pending[n:]; len(pending) == 0 {
				pending = nil
			}
			continue
		}
		failures++
		s.indexFailed(err)
		if s.isClosing() && failures >= closeRetries {
			s.log.Error().Err(err).Uint64("from", pending[0].seq).
				Msg("store: records left in the write-ahead log; the next open applies them")
			s.drainIndex()
			return
		}
		pending = s.takeWhileWaiting(pending)
	}
}

// takeWhileWaiting waits indexRetry before the next attempt, taking the
// groups that arrive meanwhile.
func (s *Store) takeWhileWaiting(backlog []walEntry) []walEntry {
	timer := time.NewTimer(s.opts.indexRetry)
	defer timer.Stop()
	in := s.toIndex
	for {
		select {
		case g, ok := <-in:
			if !ok {
				in = nil // closing: still wait before the next attempt
				continue
			}
			backlog = append(backlog, g...)
		case <-timer.C:
			return backlog
		}
	}
}

// gather adds the groups that arrive within IndexDelay of first, up to
// maxIndexBatch, so that a busy store pays one bbolt commit (two fsyncs,
// which would otherwise queue up with the WAL's flushes on the disk) for
// many groups. A read waiting for the indexer (caughtUp) cuts the wait
// short.
func (s *Store) gather(first []walEntry) []walEntry {
	entries := first
	timer := time.NewTimer(s.opts.IndexDelay)
	defer timer.Stop()
wait:
	for len(entries) < maxIndexBatch {
		select {
		case g, ok := <-s.toIndex:
			if !ok {
				return entries
			}
			entries = append(entries, g...)
		case <-timer.C:
			break wait
		case <-s.kick:
			break wait
		}
	}
	for len(entries) < maxIndexBatch {
		select {
		case g, ok := <-s.toIndex:
			if !ok {
				return entries
			}
			entries = append(entries, g...)
		default:
			return entries
		}
	}
	return entries
}

// drainIndex empties toIndex so that the commit loop can finish.
func (s *Store) drainIndex() {
	for range s.toIndex {
	}
}

// index applies entries in one transaction and tells waiting readers.
func (s *Store) index(entries []walEntry) error {
	start := time.Now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		if f := s.opts.beforeIndex; f != nil {
			if err := f(tx); err != nil {
				return err
			}
		}
		if err := applyEntries(tx, entries); err != nil {
			return err
		}
		// What the WAL acknowledged by now: a replay that finds less lost
		// a segment (wal_scan.go).
		return tx.Bucket(bucketMeta).Put(keyWALMark, seqKey(s.durable.Load()))
	})
	took := time.Since(start)
	if err == nil {
		s.statsMu.Lock()
		s.stats.Indexed += uint64(len(entries))
		s.stats.IndexBatches++
		s.stats.LastIndex = took
		s.statsMu.Unlock()
		s.healthMu.Lock()
		s.indexErr = nil
		s.healthMu.Unlock()
		s.advance(entries[len(entries)-1].seq)
	}
	if s.opts.OnIndex != nil {
		s.opts.OnIndex(len(entries), s.durable.Load()-s.indexed.Load(), took, err)
	}
	return err
}

func applyEntries(tx *bolt.Tx, entries []walEntry) error {
	w, err := newTxWriter(tx)
	if err != nil {
		return err
	}
	for i := range entries {
		if err := w.apply(&entries[i]); err != nil {
			return err
		}
	}
	return w.finish()
}

func (s *Store) indexFailed(err error) {
	s.log.Error().Err(err).Msg("store: index failed; the records are safe in the write-ahead log, retrying")
	s.statsMu.Lock()
	s.stats.IndexErrors++
	s.statsMu.Unlock()
	if isNoSpace(err) && !errors.Is(err, ErrFull) {
		err = noSpace("the database cannot grow to index records", err)
	}
	s.healthMu.Lock()
	first := s.indexErr == nil
	s.indexErr = err
	s.healthMu.Unlock()
	if first && errors.Is(err, ErrFull) && s.opts.OnSpace != nil {
		free, _ := s.opts.diskFree(s.dir)
		s.opts.OnSpace(free, err)
	}
}

// indexFailure is the error of the indexer's last transaction, nil if it
// committed.
func (s *Store) indexFailure() error {
	s.healthMu.Lock()
	defer s.healthMu.Unlock()
	return s.indexErr
}

// publishFull makes the commit loop's full state readable (Writable).
func (s *Store) publishFull() {
	s.healthMu.Lock()
	s.walFull = s.wal.noRoom
	s.healthMu.Unlock()
}

// Writable reports, without waiting, why an Append would fail now: the
// disk is full (ErrFull: the log has no room, or bbolt cannot grow to
// index records), or the indexer fails otherwise. It is nil when the
// store takes records, ErrReadOnly for a read-only store. For /readyz.
func (s *Store) Writable() error {
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	if s.isClosing() {
		return ErrClosed
	}
	s.healthMu.Lock()
	defer s.healthMu.Unlock()
	if s.walFull != nil {
		return s.walFull
	}
	if s.indexErr != nil {
		return fmt.Errorf("index failing: %w", s.indexErr)
	}
	return nil
}

func (s *Store) isClosing() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// advance publishes that every record up to seq is in bbolt.
func (s *Store) advance(seq uint64) {
	s.indexed.Store(seq)
	s.idxMu.Lock()
	close(s.idxCh)
	s.idxCh = make(chan struct{})
	s.idxMu.Unlock()
}

// caughtUp waits until every record that was durable when it was called is
// indexed, so that a read sees every Append that has returned. The wait is
// the indexer's lag, normally well under a millisecond per group.
func (s *Store) caughtUp() { s.indexedTo(s.durable.Load()) }

// indexedTo waits until the records up to target are indexed. It kicks the
// indexer, which then commits without waiting for more groups: a reader
// that needs only older records must not wait, or every such read under
// load costs a bbolt commit of its own.
func (s *Store) indexedTo(target uint64) {
	if s.toIndex == nil {
		return
	}
	if s.indexed.Load() >= target {
		return
	}
	timeout := time.NewTimer(s.opts.ReadWait)
	defer timeout.Stop()
	for {
		s.idxMu.Lock()
		ch := s.idxCh
		s.idxMu.Unlock()
		if s.indexed.Load() >= target {
			return
		}
		// Kick again at each wake: the indexer may have taken the last
		// kick for a commit that stopped short of target, and would then
		// wait out IndexDelay for the group holding it.
		select {
		case s.kick <- struct{}{}: // the indexer need not wait for more
		default:
		}
		select {
		case <-ch:
		case <-s.indexDone:
			return
		case <-timeout.C:
			s.log.Warn().Uint64("durable", target).Uint64("indexed", s.indexed.Load()).
				Msg("store: read without the newest records: the indexer is behind")
			return
		}
	}
}

// BehindError is the ErrBehind of a read that lacks acknowledged records.
type BehindError struct {
	Missing uint64 // acknowledged records the read does not see
}

func (e *BehindError) Error() string {
	return fmt.Sprintf("%v: the newest %d acknowledged records are not readable yet", ErrBehind, e.Missing)
}

func (e *BehindError) Unwrap() error { return ErrBehind }

// Acknowledged is the number of records Append has acknowledged, durable
// in the WAL: the log's size once the indexer has applied them. A reader
// that reads a smaller Size afterwards missed some (ErrBehind). It is 0
// for a read-only store, which has no indexer.
func (s *Store) Acknowledged() uint64 { return s.durable.Load() }

// replay applies the WAL's records above the database's size, which a
// crash left unindexed, and removes the segments. A torn last frame was
// never acknowledged and is dropped. A log that lost acknowledged records
// (wal_scan.go) is refused as it is, for Recover: nothing is applied and
// no segment is touched.
func (s *Store) replay(dir string) error {
	size, mark, err := s.logSize()
	if err != nil {
		return err
	}
	sc, err := scanWAL(dir, size, mark)
	if err != nil {
		return fmt.Errorf("replay wal: %w", err)
	}
	if len(sc.damage) > 0 {
		return &WALError{Dir: s.dir, Damage: sc.damage}
	}
	for _, d := range sc.harmless {
		s.log.Warn().Str("segment", d.Segment).Int64("offset", d.Offset).Str("what", d.What).
			Msg("store: damaged bytes in the write-ahead log hid no record: the records around them are in order")
	}
	entries := sc.entries()
	for chunk := range slices.Chunk(entries, maxIndexBatch) {
		err := s.db.Update(func(tx *bolt.Tx) error { return applyEntries(tx, chunk) })
		if err != nil && isNoSpace(err) {
			// Nothing is lost: the segments stay until a start applies them.
			return fmt.Errorf("replay wal: %w: %d acknowledged records wait in %s for the database, which cannot grow; free space on that disk and start again: %w",
				ErrFull, len(entries), dir, err)
		}
		if err != nil {
			return fmt.Errorf("replay wal: %w", err)
		}
	}
	if len(entries) > 0 {
		s.log.Info().Int("records", len(entries)).Msg("store: applied records from the write-ahead log")
	}
	// bbolt synced every transaction above: only now may the segments go.
	if err := removeSegments(dir); err != nil {
		return fmt.Errorf("replay wal: %w", err)
	}
	return nil
}

// logSize is the database's size and its mark of what the WAL had
// acknowledged (keyWALMark).
func (s *Store) logSize() (size, mark uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		size, mark = walMarks(tx)
		return nil
	})
	return size, mark, err
}

func walMarks(tx *bolt.Tx) (size, mark uint64) {
	size = tx.Bucket(bucketRecords).Sequence()
	if v := tx.Bucket(bucketMeta).Get(keyWALMark); len(v) == 8 {
		mark = binary.BigEndian.Uint64(v)
	}
	return size, mark
}

// fillFromValue sets what the indexes need from the record's value.
func fillFromValue(e *walEntry) error {
	r, err := skimRecord(e.value)
	if err != nil {
		return err
	}
	if r.Seq != e.seq {
		return fmt.Errorf("frame of record %d holds record %d: %w", e.seq, r.Seq, ErrCorrupt)
	}
	e.kind, e.capture, e.host, e.time = r.Kind, r.Capture, r.Host, r.Time
	return nil
}

// removeSegments deletes every segment in dir, once bbolt holds their
// records durably.
func removeSegments(dir string) error {
	nums, err := segmentFiles(dir)
	if err != nil {
		return err
	}
	if err := removeHead(dir); err != nil { // first: see headFile
		return err
	}
	for _, n := range nums {
		if err := os.Remove(filepath.Join(dir, segmentName(n))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if len(nums) > 0 {
		return syncDir(dir)
	}
	return nil
}
