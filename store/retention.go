package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Retention deletes the stored bytes of old bodies and keeps everything
// the log commits to: records are never rewritten, so every leaf, tree
// hash and body hash stays, and a verifier reports such a body as pruned
// rather than missing. The pruned bucket remembers which content
// addresses retention deleted (doc.go).
//
// Bodies are deduplicated by SHA-256, so a body belongs to every capture
// that sent the same bytes: it is pruned only when all of them are outside
// the retention window.

// bucketPruned is created by the first Prune, not by Open, so that a store
// that was never pruned still opens read-only with any version of Telltale.
var bucketPruned = []byte("pruned")

// Retention says which bodies Prune deletes. Zero fields mean no limit.
type Retention struct {
	// MaxAge prunes a body once every capture that holds it opened more
	// than MaxAge ago.
	MaxAge time.Duration
	// MaxBytes then prunes the bodies whose latest use is oldest until the
	// stored bodies add up to at most MaxBytes.
	MaxBytes int64
	// KeepUnarchived keeps every body that a record the archive does not
	// hold yet names (ArchiveState, archive.go): set when an archive is
	// configured, so that retention never deletes the only copy.
	KeepUnarchived bool
}

// PruneResult says what one Prune did and what is left.
type PruneResult struct {
	Pruned      int   // bodies deleted by this run
	PrunedBytes int64 // their stored bytes
	Kept        int   // stored bodies left
	KeptBytes   int64 // their stored bytes
	// Held counts bodies marked pruned whose file could not be deleted:
	// on Windows a reader still had it open. They count as kept; the next
	// run deletes them.
	Held int
}

// pruneBatch is the most bodies deleted while appends wait (see Prune).
const pruneBatch = 256

// bodyUse is one stored body: its size and the newest capture holding it.
type bodyUse struct {
	key  string
	size int64
	last time.Time
}

// Prune deletes the stored bytes of the bodies r selects, oldest use
// first, and marks them pruned. It reads the whole log once, outside any
// write transaction; then, pruneBatch bodies at a time, it holds off
// appends (for the time of one commit and a few file deletions), drops
// from its list every body that a record appended since it looked has
// used, and deletes the rest. A body that a capture inside the window
// holds is never deleted, even if the same bytes also belong to old ones.
func (s *Store) Prune(ctx context.Context, r Retention) (PruneResult, error) {
	if s.opts.ReadOnly {
		return PruneResult{}, fmt.Errorf("prune: %w", ErrReadOnly)
	}
	uses, seen, err := s.bodyUses(ctx)
	if err != nil {
		return PruneResult{}, fmt.Errorf("prune: %w", err)
	}
	victims := r.choose(uses, s.opts.Now())
	if r.KeepUnarchived {
		if victims, err = s.keepUnarchived(ctx, victims); err != nil {
			return PruneResult{}, fmt.Errorf("prune: %w", err)
		}
	}
	doomed := make(map[string]int64, len(victims))
	var res PruneResult
	for _, u := range uses {
		res.Kept++
		res.KeptBytes += u.size
	}
	for _, u := range victims {
		doomed[u.key] = u.size
	}
	for len(victims) > 0 {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
		n := min(pruneBatch, len(victims))
		keys := make([]string, 0, n)
		for _, u := range victims[:n] {
			keys = append(keys, u.key)
		}
		victims = victims[n:]
		pruned, held, err := s.pruneKeys(keys, doomed, &seen)
		res.Held += held
		for _, k := range pruned {
			res.Pruned++
			res.PrunedBytes += doomed[k]
			res.Kept--
			res.KeptBytes -= doomed[k]
		}
		if err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
	}
	if res.Held > 0 {
		s.log.Warn().Int("bodies", res.Held).Msg("store: could not delete some pruned bodies (in use?); the next retention run tries again")
	}
	if res.Pruned > 0 {
		s.log.Info().Int("bodies", res.Pruned).Int64("bytes", res.PrunedBytes).
			Int("kept", res.Kept).Int64("kept_bytes", res.KeptBytes).Msg("store: pruned old bodies")
	}
	return res, nil
}

// choose returns the bodies to prune, oldest latest use first.
func (r Retention) choose(uses []bodyUse, now time.Time) []bodyUse {
	slices.SortFunc(uses, func(a, b bodyUse) int {
		if c := a.last.Compare(b.last); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	var total int64
	for _, u := range uses {
		total += u.size
	}
	n := 0
	if r.MaxAge > 0 {
		cut := now.Add(-r.MaxAge)
		for n < len(uses) && uses[n].last.Before(cut) {
			total -= uses[n].size
			n++
		}
	}
	if r.MaxBytes > 0 {
		for n < len(uses) && total > r.MaxBytes {
			total -= uses[n].size
			n++
		}
	}
	return slices.Clone(uses[:n])
}

// pruneKeys marks keys pruned and deletes their bytes, skipping every key
// that records appended after *seen use, which it removes from doomed. It
// returns the keys it pruned, and how many more it marked but could not
// delete.
func (s *Store) pruneKeys(keys []string, doomed map[string]int64, seen *uint64) (pruned []string, held int, err error) {
	// No Append may be between sealing its body (which may find this
	// body's blob and keep it instead of its own copy) and its commit.
	s.pruneMu.Lock()
	defer s.pruneMu.Unlock()
	s.caughtUp() // every acknowledged append is in bbolt, so scanUses sees it
	err = s.db.Update(func(tx *bolt.Tx) error {
		pruned = pruned[:0]
		size := tx.Bucket(bucketRecords).Sequence()
		err := scanUses(tx, *seen+1, func(key string, _ time.Time) { delete(doomed, key) })
		if err != nil {
			return err
		}
		marks, err := tx.CreateBucketIfNotExists(bucketPruned)
		if err != nil {
			return err
		}
		stamp := timeBytes(s.opts.Now())
		for _, k := range keys {
			if _, ok := doomed[k]; !ok {
				continue
			}
			if err := marks.Put([]byte(k), stamp); err != nil {
				return err
			}
			if err := tx.Bucket(bucketBodies).Delete([]byte(k)); err != nil {
				return err
			}
			pruned = append(pruned, k)
		}
		*seen = size
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	// The marks are durable: a crash here, or a file Windows will not
	// delete while a reader holds it, leaves blobs that the next run finds
	// present and prunes again.
	removed := pruned[:0]
	for _, k := range pruned {
		if err := os.Remove(s.blobPath(k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn().Err(err).Str("body", k).Msg("store: remove pruned blob")
			held++
			continue
		}
		removed = append(removed, k)
	}
	return removed, held, nil
}

// bodyUses lists every stored body that is present, with the opening time
// of the newest capture holding it, and the log size it looked at.
func (s *Store) bodyUses(ctx context.Context) ([]bodyUse, uint64, error) {
	last := map[string]time.Time{}
	var size uint64
	for from := uint64(1); ; {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		next := from
		err := s.view(func(tx *bolt.Tx) error {
			size = tx.Bucket(bucketRecords).Sequence()
			var err error
			next, err = scanUsesChunk(tx, from, recordsChunk*16, func(key string, t time.Time) {
				if t.After(last[key]) || last[key].IsZero() {
					last[key] = t
				}
			})
			return err
		})
		if err != nil {
			return nil, 0, err
		}
		if next == from {
			break
		}
		from = next
	}
	uses, err := s.present(last)
	return uses, size, err
}

// present keeps the bodies whose bytes are stored, with their sizes.
func (s *Store) present(last map[string]time.Time) ([]bodyUse, error) {
	uses := make([]bodyUse, 0, len(last))
	var blobs []string
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketBodies).Cursor()
		for key, t := range last {
			if k, v := c.Seek([]byte(key)); string(k) == key {
				if len(v) > 0 {
					uses = append(uses, bodyUse{key: key, size: int64(len(v)), last: t})
				}
				continue
			}
			blobs = append(blobs, key)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, key := range blobs {
		if fi, err := os.Stat(s.blobPath(key)); err == nil && fi.Size() > 0 {
			uses = append(uses, bodyUse{key: key, size: fi.Size(), last: last[key]})
		}
	}
	return uses, nil
}

// useRecord is the part of a stored record that says which bodies it holds.
type useRecord struct {
	Seq         uint64    `json:"seq"`
	Capture     uint64    `json:"capture"`
	Kind        Kind      `json:"kind"`
	Time        time.Time `json:"time"`
	Body        BodyRef   `json:"body"`
	RequestBody *BodyRef  `json:"request_body"`
}

// scanUses calls use for every body key held by a record from Seq from on.
func scanUses(tx *bolt.Tx, from uint64, use func(key string, opened time.Time)) error {
	for {
		next, err := scanUsesChunk(tx, from, recordsChunk, use)
		if err != nil || next == from {
			return err
		}
		from = next
	}
}

// scanUsesChunk reads at most n records from Seq from and returns the Seq
// to go on from. A body's use time is the opening time of its capture.
func scanUsesChunk(tx *bolt.Tx, from uint64, n int, use func(key string, opened time.Time)) (uint64, error) {
	records := tx.Bucket(bucketRecords)
	c := records.Cursor()
	for k, v := c.Seek(seqKey(max(from, 1))); k != nil && n > 0; k, v = c.Next() {
		var r useRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return from, fmt.Errorf("record %d: %w", seqOfIndexKey(k), err)
		}
		opened := r.Time
		if r.Kind == KindIndex {
			opened = maxTime // the log's own evidence: kept
		}
		if r.Kind == KindResponse {
			var open useRecord
			if err := json.Unmarshal(records.Get(seqKey(r.Capture)), &open); err == nil {
				opened = open.Time
			}
		}
		if key := r.Body.StoredKey(); key != "" {
			use(key, opened)
		}
		if r.RequestBody != nil && r.RequestBody.StoredKey() != "" {
			use(r.RequestBody.StoredKey(), opened)
		}
		from, n = seqOfIndexKey(k)+1, n-1
	}
	return from, nil
}

// isPruned reports whether retention deleted the stored bytes under key
// and they are still gone (an Append of the same bytes stores them anew).
func (s *Store) isPruned(tx *bolt.Tx, key string) bool {
	marks := tx.Bucket(bucketPruned)
	if marks == nil || !isSHA256(key) || marks.Get([]byte(key)) == nil {
		return false
	}
	if k, _ := tx.Bucket(bucketBodies).Cursor().Seek([]byte(key)); string(k) == key {
		return false
	}
	_, err := os.Stat(s.blobPath(key))
	return errors.Is(err, fs.ErrNotExist)
}

// markPruned sets r.Body.Pruned, which is outside the leaf (doc.go). A
// response's RequestBody is left alone: it is inside the leaf's meta hash,
// and its stored bytes are those of the request record's Body.
func (s *Store) markPruned(tx *bolt.Tx, r *Record) {
	if key := r.Body.StoredKey(); key != "" {
		r.Body.Pruned = s.isPruned(tx, key)
	}
}

// markCapturePruned sets Pruned on both sides of a full capture.
func (s *Store) markCapturePruned(tx *bolt.Tx, c *Capture) {
	for _, m := range []*Message{c.Request, c.Response} {
		if m == nil {
			continue
		}
		key := m.BodySHA256
		if m.Truncated {
			key = m.StoredSHA256
		}
		m.Pruned = s.isPruned(tx, key)
	}
}

// missing is the error for stored bytes that are not there: ErrPruned when
// retention deleted them, else ErrNotFound.
func (s *Store) missing(key string) error {
	pruned := false
	_ = s.view(func(tx *bolt.Tx) error {
		pruned = s.isPruned(tx, key)
		return nil
	})
	if pruned {
		return ErrPruned
	}
	return ErrNotFound
}
