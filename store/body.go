package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Body spools a body as it streams through the proxy: it hashes every byte
// written and keeps the first limit of them, in memory up to InlineMax and
// in a file under DATA/tmp beyond. A Body is never held whole in memory.
//
// Append takes the stored bytes: from then on writes are hashed but not
// kept, which is how the proxy finishes a request body longer than the
// limit (see PartialRef). Close the Body when done with it.
type Body struct {
	s *Store

	mu     sync.Mutex
	limit  int64     // most bytes kept; lowered to kept when Append seals
	whole  hash.Hash // every byte written
	prefix []byte    // SHA-256 of the kept bytes, once writes went past them
	n      int64     // bytes written
	kept   int64     // bytes kept
	mem    []byte    // the kept bytes, while they fit in InlineMax
	file   *os.File  // the kept bytes, beyond InlineMax
	big    bool      // Expect said the kept bytes will not fit in InlineMax
	held   int64     // bytes above InlineMax kept in mem, of the store's bigMem
	pend   *[]byte   // with file: kept bytes not yet written to it (fileBufs)
	path   string    // of file: in DATA/tmp, or its blob once Append moved it
	temp   bool      // path is ours to remove
	err    error     // sticky spooling error
	closed bool
}

// NewBody returns a Body that keeps at most limit bytes; limit <= 0 means
// Options.MaxBody.
func (s *Store) NewBody(limit int64) *Body {
	if limit <= 0 {
		limit = s.opts.MaxBody
	}
	return &Body{s: s, limit: limit, whole: sha256.New()}
}

// Write hashes p and keeps what of it fits under the limit.
func (b *Body) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, fmt.Errorf("body: %w", ErrClosed)
	}
	if b.err != nil {
		return 0, b.err
	}
	keep := min(int64(len(p)), b.limit-b.kept)
	if keep > 0 {
		if err := b.spool(p[:keep]); err != nil {
			b.err = fmt.Errorf("body: %w", err)
			return 0, b.err
		}
		b.whole.Write(p[:keep])
		b.kept += keep
	}
	if rest := p[keep:]; len(rest) > 0 {
		if b.prefix == nil {
			b.prefix = b.whole.Sum(nil)
		}
		b.whole.Write(rest)
	}
	b.n += int64(len(p))
	return len(p), nil
}

// Expect tells the Body how many bytes are coming (a Content-Length;
// negative: not known), before the first Write, so that it keeps them
// where they end up without growing a buffer on the way: in memory sized
// once when they fit in InlineMax, else in a file from the first byte.
func (b *Body) Expect(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := min(n, b.limit)
	switch {
	case b.n > 0 || keep <= 0:
	case keep > b.s.opts.InlineMax && keep <= maxBigMem && b.s.bigMem.take(keep):
		// Kept in memory: forwarded from there, and written only as a
		// blob, once, when no blob holds the same bytes already.
		b.mem, b.held = make([]byte, 0, keep), keep
	case keep > b.s.opts.InlineMax:
		b.big = true
	case keep <= maxPrealloc:
		b.mem = make([]byte, 0, keep)
	}
}

// maxBigMem is the largest body above InlineMax that Expect keeps in
// memory, within the store's budget for them all (bigMemBudget).
const (
	maxBigMem    = 4 << 20
	bigMemBudget = 32 << 20
)

// memBudget is what bodies above InlineMax may hold in memory at once.
type memBudget struct {
	mu   sync.Mutex
	used int64
	max  int64
}

func (m *memBudget) take(n int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.used+n > m.max {
		return false
	}
	m.used += n
	return true
}

func (m *memBudget) give(n int64) {
	m.mu.Lock()
	m.used -= n
	m.mu.Unlock()
}

// maxPrealloc bounds what Expect allocates before the bytes arrive: a
// client that announces a body and sends none holds no more than this.
const maxPrealloc = 64 << 10

// fileBufs hold a spooled file's bytes on their way to it, so that a
// large body costs a write per fileBuf, not one per read from the network.
var fileBufs = sync.Pool{New: func() any { b := make([]byte, 0, fileBuf); return &b }}

const fileBuf = 64 << 10

// spool keeps p, moving the kept bytes to a temp file once they outgrow
// InlineMax.
func (b *Body) spool(p []byte) error {
	if b.file == nil && !b.big && b.kept+int64(len(p)) <= max(b.s.opts.InlineMax, b.held) {
		b.mem = append(b.mem, p...)
		return nil
	}
	if b.file == nil {
		f, err := os.CreateTemp(filepath.Join(b.s.dir, TmpDir), "body-*")
		if err != nil {
			return err
		}
		b.file, b.path, b.temp = f, f.Name(), true
		b.pend = fileBufs.Get().(*[]byte)
		*b.pend = append((*b.pend)[:0], b.mem...)
		b.mem = nil
		b.releaseMem()
	}
	if len(*b.pend)+len(p) > cap(*b.pend) {
		if err := b.flushFile(); err != nil {
			return err
		}
		if len(p) >= cap(*b.pend) {
			_, err := b.file.Write(p)
			return err
		}
	}
	*b.pend = append(*b.pend, p...)
	return nil
}

// flushFile writes the pending bytes to the spooled file.
func (b *Body) flushFile() error {
	if b.pend == nil || len(*b.pend) == 0 {
		return nil
	}
	_, err := b.file.Write(*b.pend)
	*b.pend = (*b.pend)[:0]
	return err
}

// releaseFileBuf writes the pending bytes and returns their buffer to
// the pool: nothing more is kept (Append took the bytes, or Close).
func (b *Body) releaseFileBuf() error {
	if b.pend == nil {
		return nil
	}
	err := b.flushFile()
	fileBufs.Put(b.pend)
	b.pend = nil
	return err
}

// Ref describes the body written so far; call it after the last Write.
// When more than the limit was written it is Truncated, with the stored
// prefix in StoredSHA256 and StoredSize.
func (b *Body) Ref() BodyRef {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ref()
}

func (b *Body) ref() BodyRef {
	ref := BodyRef{SHA256: hex.EncodeToString(b.whole.Sum(nil)), Size: b.n}
	if b.n > b.kept {
		ref.Truncated = true
		ref.StoredSHA256, ref.StoredSize = hex.EncodeToString(b.prefix), b.kept
	}
	return ref
}

// PartialRef describes a body that goes on past what was written: only the
// stored prefix is known. The proxy appends a request whose body exceeds
// the limit with Record.Body set to PartialRef(), forwards Stored() and
// then the rest while writing the rest here, and puts the final Ref() in
// the response record's RequestBody.
func (b *Body) PartialRef() BodyRef {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.partialRef()
}

func (b *Body) partialRef() BodyRef {
	return BodyRef{Size: -1, Truncated: true,
		StoredSHA256: hex.EncodeToString(b.storedSum()), StoredSize: b.kept}
}

func (b *Body) storedSum() []byte {
	if b.prefix != nil {
		return b.prefix
	}
	return b.whole.Sum(nil)
}

// Limit is the most bytes the Body keeps. To forward a long body from
// Stored, write at most Limit bytes before Append: bytes past the limit
// are hashed and dropped.
func (b *Body) Limit() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit
}

// Stored returns a reader of the stored bytes; each call reads them anew.
func (b *Body) Stored() (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("body: %w", ErrClosed)
	}
	if b.file == nil {
		return io.NopCloser(bytes.NewReader(b.mem)), nil
	}
	if err := b.flushFile(); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	f, err := os.Open(b.path)
	if err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, b.kept), f}, nil
}

// Close drops the spooled bytes that Append did not take. It is idempotent.
func (b *Body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed, b.mem = true, nil
	b.releaseMem()
	if b.file == nil {
		return nil
	}
	if b.pend != nil {
		fileBufs.Put(b.pend)
		b.pend = nil
	}
	err := b.file.Close()
	if errors.Is(err, os.ErrClosed) {
		err = nil // closed when Append moved it to its blob (moveBlob)
	}
	if b.temp {
		err = errors.Join(err, os.Remove(b.path))
	}
	if err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

// seal hands the stored bytes to Append and returns the BodyRef to record:
// given, if it is this body's Ref or PartialRef, or Ref when given is
// zero. Small bodies come back for the batch transaction; large ones are
// made durable as a blob here, before their record exists.
func (b *Body) seal(given BodyRef) (BodyRef, *inlineBody, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return BodyRef{}, nil, fmt.Errorf("body: %w", ErrClosed)
	}
	if b.err != nil {
		return BodyRef{}, nil, b.err
	}
	ref, partial := b.ref(), b.partialRef()
	switch given {
	case BodyRef{}, ref:
	case partial:
		ref = partial
	default:
		return BodyRef{}, nil, fmt.Errorf("record body %+v does not describe the body: %w", given, ErrInvalid)
	}
	b.limit = b.kept
	if b.file == nil && b.kept > b.s.opts.InlineMax {
		return ref, nil, b.storeMemBlob(ref.StoredKey())
	}
	if b.file == nil {
		return ref, &inlineBody{key: ref.StoredKey(), data: b.mem}, nil
	}
	if err := b.releaseFileBuf(); err != nil {
		return BodyRef{}, nil, fmt.Errorf("body: %w", err)
	}
	return ref, nil, b.storeBlob(ref.StoredKey())
}

// releaseMem gives the memory budget back (the bytes moved to a file, or
// the Body closed).
func (b *Body) releaseMem() {
	if b.held > 0 {
		b.s.bigMem.give(b.held)
		b.held = 0
	}
}

// storeMemBlob makes the kept bytes, held in memory, durable as the blob
// of key, unless a blob holds them already: then nothing is written.
func (b *Body) storeMemBlob(key string) error {
	if _, err := os.Stat(b.s.blobPath(key)); err == nil {
		return nil
	}
	f, err := os.CreateTemp(filepath.Join(b.s.dir, TmpDir), "body-*")
	if err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	path := f.Name()
	if _, err = f.Write(b.mem); err == nil {
		var moved bool
		if f, moved, err = b.s.moveBlob(key, f); moved {
			if err != nil {
				return fmt.Errorf("store blob: %w", err)
			}
			return nil
		}
	}
	_ = f.Close()
	if rerr := os.Remove(path); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	return nil
}
