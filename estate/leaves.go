package estate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/archive"
	"github.com/telltale/telltale/store"
)

// leaves checks every entry bundle against the verified leaf hashes,
// every record against its leaf, and every body a leaf names against its
// hash.
func (r *LogReport) leaves(ctx context.Context, src Source, dir string, from uint64, hr tlog.HashReader, o VerifyOptions) {
	checked := map[string]bool{}
	for start := from; start < r.Size; start += 256 {
		n, w := int64(start/256), int(min(256, r.Size-start))
		entries, recs, err := r.bundles(ctx, src, dir, n, w)
		if err != nil {
			r.problem("%v", err)
			continue
		}
		indexes := make([]int64, w)
		for i := range indexes {
			indexes[i] = tlog.StoredHashIndex(0, int64(start)+int64(i))
		}
		hashes, err := hr.ReadHashes(indexes)
		if err != nil {
			r.problem("leaves %d to %d: %v", start+1, start+uint64(w), err)
			continue
		}
		var bodies []store.Leaf
		for i, leaf := range entries {
			seq := start + uint64(i) + 1
			if tlog.RecordHash(leaf) != hashes[i] {
				r.problem("tampered: entry %d does not hash to its leaf in the tree", seq)
				continue
			}
			rec, ok := r.record(seq, leaf, recs[i])
			if !ok {
				continue
			}
			r.Records++
			if rec.Time.After(r.LastCapture) {
				r.LastCapture = rec.Time
			}
			l, err := store.ParseLeaf(leaf)
			if err != nil {
				continue // record() checked that the record makes this leaf
			}
			if rec.Seal != nil { // a sealed body: its redacted copy is what is stored
				l = store.Leaf{StoredSHA256: rec.Seal.Copy, StoredSize: rec.Seal.CopySize}
			}
			if l.StoredSHA256 != "" && !checked[l.StoredSHA256] {
				checked[l.StoredSHA256] = true
				bodies = append(bodies, l)
			}
		}
		r.bodies(ctx, src, dir, bodies, o)
		if o.Progress != nil {
			o.Progress(start+uint64(len(entries)), r.Size)
		}
	}
}

// bodyWorkers is how many bodies a review reads at once; bigBody the
// size above which it reads them one at a time.
const (
	bodyWorkers = 8
	bigBody     = 8 << 20
)

// bodies checks the stored bytes the leaves of one tile name, several at
// once.
func (r *LogReport) bodies(ctx context.Context, src Source, dir string, leaves []store.Leaf, o VerifyOptions) {
	next := make(chan store.Leaf)
	var wg sync.WaitGroup
	for range min(bodyWorkers, len(leaves)) {
		wg.Go(func() {
			for l := range next {
				r.body(ctx, src, dir, l, o)
			}
		})
	}
	for _, l := range leaves {
		next <- l
	}
	close(next)
	wg.Wait()
}

// bundles reads entry bundle n and its records bundle, width w.
func (r *LogReport) bundles(ctx context.Context, src Source, dir string, n int64, w int) ([][]byte, [][]byte, error) {
	tile := tlog.Tile{H: archive.TileHeight, L: -1, N: n, W: w}
	eb, err := src.Get(ctx, dir+archive.TilePath(tile))
	if err != nil {
		return nil, nil, fmt.Errorf("gap: entry bundle %s: %w", archive.TilePath(tile), err)
	}
	rb, err := src.Get(ctx, dir+archive.RecordsPath(n, w))
	if err != nil {
		return nil, nil, fmt.Errorf("gap: records %s: %w", archive.RecordsPath(n, w), err)
	}
	entries, err := archive.ReadEntries(eb)
	if err != nil || len(entries) != w {
		return nil, nil, fmt.Errorf("tampered: entry bundle %s holds %d entries, want %d (%v)", archive.TilePath(tile), len(entries), w, err)
	}
	recs, err := archive.ReadRecords(rb)
	if err != nil || len(recs) != w {
		return nil, nil, fmt.Errorf("tampered: records %s holds %d records, want %d (%v)", archive.RecordsPath(n, w), len(recs), w, err)
	}
	return entries, recs, nil
}

// record decodes a stored record and checks that it makes its leaf.
func (r *LogReport) record(seq uint64, leaf, value []byte) (*store.Record, bool) {
	var rec store.Record
	if err := json.Unmarshal(value, &rec); err != nil {
		r.problem("tampered: record %d does not decode: %v", seq, err)
		return nil, false
	}
	data, err := store.LeafData(&rec)
	if err != nil || !bytes.Equal(data, leaf) || rec.Seq != seq {
		r.problem("tampered: record %d does not match its leaf", seq)
		return nil, false
	}
	return &rec, true
}

// body checks the stored bytes a leaf names, once each.
func (r *LogReport) body(ctx context.Context, src Source, dir string, l store.Leaf, o VerifyOptions) {
	key := l.StoredSHA256
	if o.SkipBodies {
		keys, err := src.List(ctx, dir+archive.BlobPath(key))
		switch {
		case err != nil:
			r.problem("body %s: %v", key, err)
		case len(keys) == 0:
			r.count(false)
		default:
			r.count(true)
		}
		return
	}
	if l.StoredSize > bigBody {
		// One large body in memory at a time (the capture limit is 64 MiB
		// by default).
		r.bigMu.Lock()
		defer r.bigMu.Unlock()
	}
	data, err := src.Get(ctx, dir+archive.BlobPath(key))
	if notFound(err) {
		r.count(false)
		return
	}
	if err != nil {
		r.problem("body %s: %v", key, err)
		return
	}
	if s := sha256.Sum256(data); hex.EncodeToString(s[:]) != key || int64(len(data)) != l.StoredSize {
		r.problem("tampered: body %s does not hash to its name", key)
		return
	}
	r.count(true)
}
