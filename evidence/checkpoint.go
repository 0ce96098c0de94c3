package evidence

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// timePrefix starts the extension line that carries a checkpoint's time;
// indexPrefix the one that carries its capture index (index.go).
const (
	timePrefix  = "time "
	indexPrefix = "index "
)

// Checkpoint is the body of a signed checkpoint, in the C2SP
// tlog-checkpoint form (https://c2sp.org/tlog-checkpoint):
//
//	<origin>
//	<tree size, decimal>
//	<root hash, base64>
//	time <when it was signed, RFC 3339 UTC with nanoseconds>
//	index <root of the capture index, base64>
//
// The index line (index.go) commits to every capture of each host and
// endpoint in the tree; checkpoints signed before it existed lack it and
// still verify.
// The origin is the name of the log's key, so a note names the log it is
// about twice: in its text and in its signature line.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   tlog.Hash
	Time   time.Time
	// Index is the capture index's root (IndexRoot); nil for a checkpoint
	// signed without one.
	Index *tlog.Hash
	// IndexLeaf is the SHA-256 of the index text of the index record that
	// is the tree's last leaf (index_leaf.go); nil for a checkpoint signed
	// before the index was a leaf. At most one of Index and IndexLeaf is
	// set.
	IndexLeaf *tlog.Hash
}

// Body is the note text that is signed.
func (c Checkpoint) Body() []byte {
	b := fmt.Appendf(nil, "%s\n%d\n%s\n%s%s\n", c.Origin, c.Size, c.Root, timePrefix,
		c.Time.UTC().Format(store.TimeFormat))
	if c.Index != nil {
		b = fmt.Appendf(b, "%s%s\n", indexPrefix, *c.Index)
	}
	if c.IndexLeaf != nil {
		b = fmt.Appendf(b, "%s%s\n", indexLeafPrefix, *c.IndexLeaf)
	}
	return b
}

// ParseCheckpoint parses a checkpoint body. It accepts only the form Body
// writes, so that one checkpoint has one encoding.
func ParseCheckpoint(body string) (Checkpoint, error) {
	lines := strings.Split(body, "\n")
	if (len(lines) != 5 && len(lines) != 6) || lines[len(lines)-1] != "" {
		return Checkpoint{}, fmt.Errorf("checkpoint: want 4 or 5 lines (origin, size, root hash, time, index or index-leaf), got %q", body)
	}
	var c Checkpoint
	var err error
	c.Origin = lines[0]
	if c.Origin == "" || strings.ContainsAny(c.Origin, " +") {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad origin %q", c.Origin)
	}
	if c.Size, err = strconv.ParseUint(lines[1], 10, 64); err != nil || strconv.FormatUint(c.Size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad tree size %q", lines[1])
	}
	if c.Root, err = tlog.ParseHash(lines[2]); err != nil || c.Root.String() != lines[2] {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad root hash %q", lines[2])
	}
	ts, ok := strings.CutPrefix(lines[3], timePrefix)
	if !ok {
		return Checkpoint{}, fmt.Errorf("checkpoint: want a %q line, got %q", timePrefix, lines[3])
	}
	if c.Time, err = time.Parse(store.TimeFormat, ts); err != nil || c.Time.UTC().Format(store.TimeFormat) != ts {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad time %q", ts)
	}
	if len(lines) == 6 {
		idx, ok := strings.CutPrefix(lines[4], indexPrefix)
		leaf, isLeaf := strings.CutPrefix(lines[4], indexLeafPrefix)
		if isLeaf {
			idx = leaf
		}
		h, err := tlog.ParseHash(idx)
		if (!ok && !isLeaf) || err != nil || h.String() != idx {
			return Checkpoint{}, fmt.Errorf("checkpoint: want an %q or %q line with a base64 hash, got %q", indexPrefix, indexLeafPrefix, lines[4])
		}
		if isLeaf {
			c.IndexLeaf = &h
		} else {
			c.Index = &h
		}
	}
	return c, nil
}

// Sign signs c with the log key; c.Origin must be the key's name.
func Sign(c Checkpoint, signer note.Signer) ([]byte, error) {
	if c.Origin != signer.Name() {
		return nil, fmt.Errorf("sign checkpoint: origin %q is not the key's name %q", c.Origin, signer.Name())
	}
	msg, err := note.Sign(&note.Note{Text: string(c.Body())}, signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return msg, nil
}

// Open checks a signed checkpoint with the log's verifier key and parses
// it. Its errors say what is wrong in words a user can act on.
func Open(signed []byte, v note.Verifier) (Checkpoint, error) {
	return openCheckpoint(signed, v, nil)
}

// openNote verifies a note signed by the log key alone (openSigned).
func openNote(msg []byte, v note.Verifier) (*note.Note, error) {
	return openSigned(msg, v, nil)
}

// SignTree signs a checkpoint of the log's current tree, if it grew since
// the latest stored checkpoint, and stores it. It returns the latest
// checkpoint, new or not, and whether it signed it. An empty log has
// nothing to sign: ErrEmptyLog.
//
// The root is read from the store's tree hashes; Verify recomputes it.
func SignTree(st *store.Store, signer note.Signer, now time.Time) (store.Checkpoint, bool, error) {
	return NewIndexCache(st).SignTree(signer, now)
}

// SignTree is evidence.SignTree over the cache's store, reading for the
// capture index only the records appended since the cache's last use. A
// long-running signer (serve's checkpointer) keeps one cache.
//
// It appends the capture index of the log as it stands as an index
// record (index_leaf.go) and signs the tree that ends with that record.
func (c *IndexCache) SignTree(signer note.Signer, now time.Time) (store.Checkpoint, bool, error) {
	c.mu.Lock() // one index record per checkpoint
	defer c.mu.Unlock()
	st := c.st
	size, err := st.Size()
	if err != nil {
		return store.Checkpoint{}, false, err
	}
	latest, err := st.LatestCheckpoint()
	switch {
	case err == nil && latest.Size == size:
		return latest, false, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return store.Checkpoint{}, false, err
	case size == 0:
		return store.Checkpoint{}, false, ErrEmptyLog
	}
	x, err := c.at(size)
	if err != nil {
		return store.Checkpoint{}, false, err
	}
	text := x.Text(size)
	seq, err := appendIndex(st, text, now)
	if err != nil {
		return store.Checkpoint{}, false, err
	}
	root, err := st.TreeHash(seq)
	if err != nil {
		return store.Checkpoint{}, false, err
	}
	leaf := indexTextHash(text)
	msg, err := Sign(Checkpoint{Origin: signer.Name(), Size: seq, Root: root, Time: now, IndexLeaf: &leaf}, signer)
	if err != nil {
		return store.Checkpoint{}, false, err
	}
	cp, err := st.AppendCheckpoint(seq, msg)
	if err != nil {
		return store.Checkpoint{}, false, err
	}
	return cp, true, nil
}

// appendIndex appends an index record with the index text as its body.
func appendIndex(st *store.Store, text []byte, now time.Time) (uint64, error) {
	body := st.NewBody(int64(len(text)) + 1)
	defer body.Close()
	if _, err := body.Write(text); err != nil {
		return 0, fmt.Errorf("index record: %w", err)
	}
	seq, err := st.Append(context.Background(), &store.Record{Kind: store.KindIndex, Time: now}, body)
	if err != nil {
		return 0, fmt.Errorf("index record: %w", err)
	}
	return seq, nil
}
