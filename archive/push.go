package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// errStop ends a RawRecords scan early.
var errStop = errors.New("stop")

// records pushes the leaves from+1..to: for each data tile, its entry
// bundle, its records bundle and the bodies they name; then the hash
// tiles of the tree of size to.
func (p *push) records(ctx context.Context, from, to uint64) error {
	first := from / tileWidth * tileWidth
	var newest time.Time
	for start := first; start < to; start += tileWidth {
		end := min(start+tileWidth, to)
		t, err := p.dataTile(ctx, start, end)
		if err != nil {
			return err
		}
		newest = t
	}
	for _, t := range tlog.NewTiles(TileHeight, int64(from), int64(to)) {
		data, err := tlog.ReadTileData(t, p.a.st.HashReader())
		if err != nil {
			return fmt.Errorf("tile %s: %w", TilePath(t), err)
		}
		if err := p.once(ctx, TilePath(t), data, newest); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// dataTile pushes the leaves start+1..end (one tile, perhaps partial)
// and returns the time of the newest.
func (p *push) dataTile(ctx context.Context, start, end uint64) (time.Time, error) {
	var entries, records, hashes []byte
	var recs []*store.Record
	err := p.a.st.RawRecords(start+1, func(seq uint64, value []byte) error {
		if seq > end {
			return errStop
		}
		if seq != start+1+uint64(len(recs)) {
			return fmt.Errorf("record %d missing from the store", start+1+uint64(len(recs)))
		}
		var r store.Record
		if err := json.Unmarshal(value, &r); err != nil {
			return fmt.Errorf("record %d: %w", seq, err)
		}
		leaf, err := store.LeafData(&r)
		if err != nil {
			return fmt.Errorf("record %d: %w", seq, err)
		}
		if entries, err = appendEntry(entries, leaf); err != nil {
			return fmt.Errorf("record %d: %w", seq, err)
		}
		records = appendRecord(records, value)
		h := tlog.RecordHash(leaf)
		hashes = append(hashes, h[:]...)
		recs = append(recs, &r)
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return time.Time{}, err
	}
	if uint64(len(recs)) != end-start {
		return time.Time{}, fmt.Errorf("records %d to %d: the store has %d of them", start+1, end, len(recs))
	}
	n, w := int64(start/tileWidth), int(end-start)
	want, err := tlog.ReadTileData(tlog.Tile{H: TileHeight, L: 0, N: n, W: w}, p.a.st.HashReader())
	if err != nil {
		return time.Time{}, fmt.Errorf("leaves %d to %d: %w", start+1, end, err)
	}
	if !bytes.Equal(want, hashes) {
		return time.Time{}, fmt.Errorf("leaves %d to %d: a record does not hash to its leaf in the tree; run `telltale verify`", start+1, end)
	}
	newest := recs[len(recs)-1].Time
	if err := p.once(ctx, TilePath(tlog.Tile{H: TileHeight, L: -1, N: n, W: w}), entries, newest); err != nil {
		return time.Time{}, err
	}
	if err := p.once(ctx, RecordsPath(n, w), records, newest); err != nil {
		return time.Time{}, err
	}
	if err := p.bodies(ctx, recs); err != nil {
		return time.Time{}, err
	}
	return newest, nil
}

// bodies uploads the bodies recs name, Options.Parallel at a time, each
// once; the first error stops the rest.
func (p *push) bodies(ctx context.Context, recs []*store.Record) error {
	type job struct {
		key string
		t   time.Time
	}
	var jobs []job
	seen := map[string]bool{}
	for _, r := range recs {
		for _, key := range bodyKeys(r) {
			if !seen[key] {
				seen[key] = true
				jobs = append(jobs, job{key, r.Time})
			}
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan job)
	var wg sync.WaitGroup
	for range min(p.a.opts.Parallel, len(jobs)) {
		wg.Go(func() {
			for j := range next {
				if err := p.body(ctx, j.key, j.t); err != nil {
					cancel(err)
				}
			}
		})
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		next <- j
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// bodyKeys are the content addresses of the stored bytes a record names.
func bodyKeys(r *store.Record) []string {
	keys := []string{r.Body.StoredKey()}
	if r.RequestBody != nil {
		keys = append(keys, r.RequestBody.StoredKey())
	}
	if r.Seal != nil {
		keys = append(keys, r.Seal.Copy)
	}
	return slices.DeleteFunc(keys, func(k string) bool { return k == "" })
}

// checkpoints pushes every checkpoint whose tree the archive holds, then
// the latest of them as checkpoint.
func (p *push) checkpoints(ctx context.Context, cps []store.Checkpoint, state *store.ArchiveState) error {
	var last *store.Checkpoint
	for i := range cps {
		cp := &cps[i]
		if cp.Index <= state.Checkpoint || cp.Size > state.Size {
			continue
		}
		t := noteTime(cp.Note, p.a.opts.Now())
		if err := p.once(ctx, CheckpointPath(cp.Index), cp.Note, t); err != nil {
			return err
		}
		state.Checkpoint, last = cp.Index, cp
		if err := p.a.st.SetArchiveState(*state); err != nil {
			return err
		}
	}
	if last == nil {
		return nil
	}
	if err := p.a.b.Put(ctx, p.dir+KeyCheckpoint, last.Note, p.lock(noteTime(last.Note, p.a.opts.Now()))); err != nil {
		return err
	}
	p.mu.Lock()
	p.n++
	p.mu.Unlock()
	return nil
}

// anchorKinds are the anchors archived beside their checkpoints.
var anchorKinds = []string{store.AnchorTimestamp, store.AnchorWitness, store.AnchorCosignatures}

// anchors pushes every anchor of an archived checkpoint that is new or
// changed (a witness cosigned later) since the last push.
func (p *push) anchors(ctx context.Context, state *store.ArchiveState) error {
	changed := false
	for _, kind := range anchorKinds {
		all, err := p.a.st.Anchors(kind)
		if err != nil {
			return err
		}
		for index, data := range all {
			if index > state.Checkpoint || index < state.AnchorsFrom {
				continue
			}
			sum := fmt.Sprintf("%x", sha256.Sum256(data))
			k := fmt.Sprintf("%d/%s", index, kind)
			if state.Anchors[k] == sum {
				continue
			}
			if err := p.once(ctx, AnchorPath(index, kind, sum), data, p.a.opts.Now()); err != nil {
				return err
			}
			if state.Anchors == nil {
				state.Anchors = map[string]string{}
			}
			state.Anchors[k], changed = sum, true
		}
	}
	// Anchors of checkpoints anchorWindow behind the newest archived are
	// final (serve timestamps and cosigns the newest ones): stop watching
	// them, so that the state stays small over a year of checkpoints.
	if floor := state.Checkpoint + 1 - min(state.Checkpoint+1, anchorWindow); floor > state.AnchorsFrom {
		state.AnchorsFrom, changed = floor, true
		for k := range state.Anchors {
			if idx, _, _ := strings.Cut(k, "/"); parseIndex(idx) < floor {
				delete(state.Anchors, k)
			}
		}
	}
	if !changed {
		return nil
	}
	return p.a.st.SetArchiveState(*state)
}

// anchorWindow is how many of the newest archived checkpoints the
// archiver watches for new or changed anchors.
const anchorWindow = 256

func parseIndex(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}

// noteTime is the time line of a signed checkpoint, or def.
func noteTime(note []byte, def time.Time) time.Time {
	for line := range strings.SplitSeq(string(note), "\n") {
		if v, ok := strings.CutPrefix(line, "time "); ok {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				return t
			}
		}
		if line == "" {
			break
		}
	}
	return def
}
