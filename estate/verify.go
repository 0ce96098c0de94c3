package estate

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/archive"
	"github.com/telltale/telltale/evidence"
)

// Log is one log an estate trusts.
type Log struct {
	Name string // a label (the license server); "" uses the origin
	Key  string // the log's verifier key; its name is the origin
	// Prefix, when set, is this log's key prefix instead of the
	// estate's (a tenant archived under its own prefix).
	Prefix string
}

// VerifyOptions say what else to trust.
type VerifyOptions struct {
	// Witnesses are the cosignature/v1 verifier keys whose cosignatures
	// are checked; others are counted as unknown.
	Witnesses []string
	// TSARoots, when set, are the roots RFC 3161 timestamps must chain to.
	TSARoots *x509.CertPool
	// SkipBodies checks the bodies' presence by listing only, not their
	// bytes: faster, for a large estate reviewed often.
	SkipBodies bool
	// Progress, when set, is told after each tile how many leaves of
	// the tree are checked (a terminal's progress line).
	Progress func(done, total uint64)
	// From is a tree of this log verified before (Trusted, from the last
	// review): Verify proves it consistent with the newest checkpoint and
	// then checks only the leaves added since, so a review costs in
	// proportion to what was archived since the last.
	From *Trusted
}

// Trusted is a verified tree of one log, kept between reviews.
type Trusted struct {
	Size uint64    `json:"size"`
	Root tlog.Hash `json:"root"`
}

// LogReport is what Verify found in one log's archive.
type LogReport struct {
	Name, Origin string
	Checkpoints  int       // archived checkpoints that verify
	Size         uint64    // tree size of the latest
	Root         tlog.Hash // its root
	Latest       time.Time // its time: the license server's last upload
	LastCapture  time.Time // time of the newest archived record
	Records      uint64    // records checked against their leaves
	Bodies       int       // bodies checked against their hashes
	Missing      int       // bodies the leaves name that the archive lacks
	Timestamps   int       // RFC 3161 timestamps that check
	Cosigned     map[string]int
	// From is the size of the tree a previous review verified, whose
	// leaves this one did not check again (VerifyOptions.From); 0 when
	// every leaf was checked.
	From uint64
	// Problems are what does not verify: a gap, a fork, a tampered
	// object. A log with none verifies.
	Problems []string

	mu       sync.Mutex // guards Problems, Bodies and Missing while bodies are read
	bigMu    sync.Mutex // held while a body over bigBody is read
	key      string     // the log's verifier key
	dir      string     // the log's key prefix
	verified []signed   // the checkpoints up to the tree's, in order
}

// OK reports whether the log verified.
func (r *LogReport) OK() bool { return len(r.Problems) == 0 }

func (r *LogReport) problem(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// count adds to Bodies (ok) or Missing, from a body worker.
func (r *LogReport) count(ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok {
		r.Bodies++
	} else {
		r.Missing++
	}
}

// Verify checks one log under prefix in src against its verifier key. An
// error means the archive could not be read; what does not verify is in
// the report's Problems.
func Verify(ctx context.Context, src Source, prefix string, l Log, o VerifyOptions) (*LogReport, error) {
	v, err := note.NewVerifier(l.Key)
	if err != nil {
		return nil, fmt.Errorf("log key %q: %w", l.Key, err)
	}
	r := &LogReport{Name: l.Name, Origin: v.Name(), Cosigned: map[string]int{}}
	if r.Name == "" {
		r.Name = r.Origin
	}
	if l.Prefix != "" {
		prefix = l.Prefix
	}
	dir := archive.LogPrefix(prefix, v.Name())
	keys, err := src.List(ctx, dir+"checkpoints/")
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		r.problem("nothing archived under %s", dir)
		return r, nil
	}
	cps := r.checkpoints(ctx, src, dir, keys, v)
	if len(cps) == 0 {
		r.problem("no archived checkpoint verifies")
		return r, nil
	}
	tiles := &tileReader{ctx: ctx, src: src, dir: dir}
	head, hr := r.tree(cps, tiles)
	if hr == nil {
		return r, nil
	}
	latest := cps[head]
	r.Size, r.Root, r.Latest = latest.Size, latest.Root, latest.Time
	r.dir, r.verified = dir, cps[:head+1]
	r.consistency(cps, head, hr)
	from := r.since(o.From, hr)
	r.anchors(ctx, src, dir, keys, cps, o)
	r.leaves(ctx, src, dir, from, hr, o)
	return r, nil
}

// signed is an archived checkpoint that verified.
type signed struct {
	evidence.Checkpoint
	index uint64
	note  []byte
}

// checkpoints opens every archived checkpoint, in index order, and
// reports a gap in the indexes, one that goes back in size or time, and a
// checkpoint object that is not the latest.
func (r *LogReport) checkpoints(ctx context.Context, src Source, dir string, keys []string, v note.Verifier) []signed {
	var indexes []uint64
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, dir+"checkpoints/")
		if !ok || strings.Contains(rest, "/") {
			continue
		}
		if n, err := strconv.ParseUint(rest, 10, 64); err == nil {
			indexes = append(indexes, n)
		}
	}
	slices.Sort(indexes)
	var out []signed
	for i, index := range indexes {
		if i > 0 && index != indexes[i-1]+1 {
			r.problem("gap: checkpoints %d to %d are not in the archive", indexes[i-1]+1, index-1)
		}
		msg, err := src.Get(ctx, dir+archive.CheckpointPath(index))
		if err != nil {
			r.problem("checkpoint %d: %v", index, err)
			continue
		}
		c, err := evidence.Open(msg, v)
		if err != nil {
			r.problem("checkpoint %d does not verify with the log key: %v", index, err)
			continue
		}
		if len(out) > 0 {
			prev := out[len(out)-1]
			if c.Size < prev.Size {
				r.problem("fork: checkpoint %d signs %d records, fewer than checkpoint %d (%d)", index, c.Size, prev.index, prev.Size)
			}
			if c.Time.Before(prev.Time) {
				r.problem("checkpoint %d is dated %s, before checkpoint %d (%s)", index, c.Time.Format(time.RFC3339), prev.index, prev.Time.Format(time.RFC3339))
			}
		}
		out = append(out, signed{Checkpoint: c, index: index, note: msg})
	}
	r.Checkpoints = len(out)
	if len(out) > 0 {
		head, err := src.Get(ctx, dir+archive.KeyCheckpoint)
		if err == nil && !bytes.Equal(head, out[len(out)-1].note) {
			r.problem("the checkpoint object is not the latest archived checkpoint (%d)", out[len(out)-1].index)
		}
	}
	return out
}

// since checks a tree verified before against the newest checkpoint's
// and returns the first leaf to check: the start of the tile holding its
// last leaf, or 0 without one (or when it does not check, a fork).
func (r *LogReport) since(t *Trusted, hr tlog.HashReader) uint64 {
	if t == nil || t.Size == 0 {
		return 0
	}
	if t.Size > r.Size {
		r.problem("fork: the last review verified %d records, the archive's newest checkpoint signs %d", t.Size, r.Size)
		return 0
	}
	proof, err := tlog.ProveTree(int64(r.Size), int64(t.Size), hr)
	if err == nil {
		err = tlog.CheckTree(proof, int64(r.Size), r.Root, int64(t.Size), t.Root)
	}
	if err != nil {
		r.problem("fork: the tree of %d records the last review verified is not a prefix of the archive's: %v", t.Size, err)
		return 0
	}
	r.From = t.Size
	return (t.Size - 1) / 256 * 256
}

// tree picks the newest checkpoint whose root the archived hash tiles
// make, and returns its position and a hash reader of its tree. A newer
// checkpoint, signed by the log key over a tree the archive does not
// hold, is a fork (or a push that stopped between its tiles and its
// checkpoint, which the archiver never does: checkpoints go last).
func (r *LogReport) tree(cps []signed, tiles *tileReader) (int, tlog.HashReader) {
	for i := len(cps) - 1; i >= 0; i-- {
		c := cps[i]
		hr := tlog.TileHashReader(tlog.Tree{N: int64(c.Size), Hash: c.Root}, tiles)
		if _, err := tlog.TreeHash(int64(c.Size), hr); err != nil {
			r.problem("fork: checkpoint %d signs %d records with a root the archived tiles do not make (%v)", c.index, c.Size, err)
			continue
		}
		return i, hr
	}
	r.problem("no archived checkpoint matches the archived tiles")
	return 0, nil
}

// consistency checks every other checkpoint against the tree of
// checkpoint cps[head].
func (r *LogReport) consistency(cps []signed, head int, hr tlog.HashReader) {
	latest := cps[head]
	for _, c := range cps[:head] {
		if c.Size == latest.Size {
			if c.Root != latest.Root {
				r.problem("fork: checkpoints %d and %d sign different roots for %d records", c.index, latest.index, c.Size)
			}
			continue
		}
		proof, err := tlog.ProveTree(int64(latest.Size), int64(c.Size), hr)
		if err != nil {
			r.problem("checkpoint %d: the archived tiles do not match checkpoint %d's root: %v", c.index, latest.index, err)
			return
		}
		if err := tlog.CheckTree(proof, int64(latest.Size), latest.Root, int64(c.Size), c.Root); err != nil {
			r.problem("fork: checkpoint %d (%d records) is not a prefix of checkpoint %d: %v", c.index, c.Size, latest.index, err)
		}
	}
}

// tileReader reads hash tiles from the archive for tlog.TileHashReader,
// which checks them against the tree's root.
type tileReader struct {
	ctx context.Context
	src Source
	dir string
}

func (t *tileReader) Height() int { return archive.TileHeight }

func (t *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		data, err := t.src.Get(t.ctx, t.dir+archive.TilePath(tile))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (t *tileReader) SaveTiles([]tlog.Tile, [][]byte) {}
