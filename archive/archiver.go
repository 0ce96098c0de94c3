package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/store"
)

// Options configure an Archiver. Zero values mean defaults.
type Options struct {
	Prefix string // key prefix in the bucket; "" for none
	// Retention is how long after its capture an object stays locked.
	Retention time.Duration
	// Mode is Compliance or Governance; "" writes no retention (a bucket
	// without Object Lock, allowed by the configuration).
	Mode string
	// AllowUnlocked lets the first step archive to a bucket without
	// Object Lock (writing no retention) instead of refusing it
	// (CheckBucket).
	AllowUnlocked bool
	// VerifierKey is the log's verifier key, written as log.pub.
	VerifierKey string
	// Chunk is how many records a step pushes before it saves its place;
	// rounded up to whole tiles. Default 4096.
	Chunk uint64
	// Parallel is how many bodies are uploaded at once; default 8.
	Parallel int
	// Progress, when set, is told before the first chunk and after each
	// how many records the archive holds of how many this step pushes to
	// (a terminal's progress line for a first push).
	Progress func(archived, target uint64)
	Logger   zerolog.Logger
	Now      func() time.Time
}

// bigBody is the size above which bodies are uploaded one at a time.
const bigBody = 8 << 20

// minRetain is the least time from now an object is locked for: S3 takes
// no retain-until date in the past, and an old capture archived late is
// still evidence.
const minRetain = 24 * time.Hour

// Archiver pushes one store's log to one bucket.
type Archiver struct {
	st   *store.Store
	b    *Bucket
	opts Options
	log  zerolog.Logger

	mu     sync.Mutex // guards status
	status Status

	bigMu  sync.Mutex      // held while a body over bigBody is uploaded
	sentMu sync.Mutex      // guards sent
	sent   map[string]bool // bodies known to be in the bucket, this process
	// checked is set once Check has found the bucket fit; until then
	// each step checks first.
	checked bool
}

// Status is how far the archive is behind the log.
type Status struct {
	Origin     string
	Archived   uint64    // records in the archive
	Size       uint64    // records in the log
	Checkpoint uint64    // index of the latest archived checkpoint
	Last       time.Time // when the archive last moved forward
	// Oldest is when the oldest record not archived yet was made; zero
	// when the archive has every record.
	Oldest   time.Time
	Uploaded int64 // objects written by this process
	Existing int64 // objects found already there (a resumed push)
	// Conflicts counts bodies found in the bucket under their name with
	// other bytes: reported, left as they are (locked), and skipped.
	Conflicts int64
	Err       string // the last step's error, "" after a good step
}

// Lag is how long the oldest unarchived record has waited, 0 when none.
func (s Status) Lag(now time.Time) time.Duration {
	if s.Oldest.IsZero() {
		return 0
	}
	return now.Sub(s.Oldest)
}

// New returns an Archiver of st into b.
func New(st *store.Store, b *Bucket, o Options) *Archiver {
	if o.Chunk == 0 {
		o.Chunk = 4096
	}
	o.Chunk = (o.Chunk + tileWidth - 1) / tileWidth * tileWidth
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	return &Archiver{st: st, b: b, opts: o, log: o.Logger.With().Str("component", "archive").Logger(), sent: map[string]bool{}}
}

// CheckBucket refuses a bucket without Object Lock unless mode is
// Governance or allowUnlocked; it returns the mode to write with ("" for
// an unlocked bucket that is allowed).
func CheckBucket(ctx context.Context, b *Bucket, mode string, allowUnlocked bool) (string, error) {
	locked, err := b.Locked(ctx)
	if err != nil {
		return "", err
	}
	if locked {
		return mode, nil
	}
	if mode == Governance || allowUnlocked {
		return "", nil
	}
	return "", fmt.Errorf("%w: bucket %s was not created with Object Lock, so the archive could be deleted; "+
		"create a bucket with Object Lock enabled (aws s3api create-bucket --object-lock-enabled-for-bucket), "+
		"or set archive.allow_unlocked: true to archive without it", ErrUnlocked, b.Name())
}

// Check asks the bucket whether it has Object Lock (CheckBucket) and
// sets the mode to write with; Step calls it until it succeeds. Call it
// before Run, or not at all.
func (a *Archiver) Check(ctx context.Context) error {
	if a.checked {
		return nil
	}
	mode, err := CheckBucket(ctx, a.b, a.opts.Mode, a.opts.AllowUnlocked)
	if err != nil {
		return err
	}
	if mode == "" && a.opts.Mode != "" {
		a.log.Warn().Str("bucket", a.b.Name()).Msg("archive: the bucket has no Object Lock; objects are written without retention")
	}
	a.opts.Mode, a.checked = mode, true
	return nil
}

// Status returns the latest status.
func (a *Archiver) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

func (a *Archiver) setStatus(f func(*Status)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f(&a.status)
}

// Step pushes everything up to the latest checkpoint and returns the
// number of objects written. It saves its place after every chunk.
func (a *Archiver) Step(ctx context.Context) (int, error) {
	n, err := a.step(ctx)
	a.refresh(err)
	return n, err
}

func (a *Archiver) step(ctx context.Context) (int, error) {
	if err := a.Check(ctx); err != nil {
		return 0, err
	}
	state, err := a.st.ArchiveState()
	if err != nil {
		return 0, err
	}
	cps, err := a.st.Checkpoints()
	if err != nil {
		return 0, err
	}
	if len(cps) == 0 {
		return 0, nil
	}
	latest := cps[len(cps)-1]
	origin, err := noteOrigin(latest.Note)
	if err != nil {
		return 0, err
	}
	a.setStatus(func(s *Status) { s.Origin = origin })
	p := &push{a: a, dir: LogPrefix(a.opts.Prefix, origin)}
	if state.Size == 0 && state.Checkpoint == 0 && a.opts.VerifierKey != "" {
		if err := p.once(ctx, KeyVerifier, []byte(a.opts.VerifierKey+"\n"), a.opts.Now()); err != nil {
			return p.n, err
		}
	}
	if a.opts.Progress != nil && state.Size < latest.Size {
		a.opts.Progress(state.Size, latest.Size) // where this push starts
	}
	for state.Size < latest.Size {
		next := min(latest.Size, (state.Size/a.opts.Chunk+1)*a.opts.Chunk)
		if err := p.records(ctx, state.Size, next); err != nil {
			return p.n, err
		}
		state.Size, state.Time = next, a.opts.Now()
		if err := a.st.SetArchiveState(state); err != nil {
			return p.n, err
		}
		a.log.Debug().Uint64("archived", next).Uint64("target", latest.Size).Msg("archive: records pushed")
		if a.opts.Progress != nil {
			a.opts.Progress(next, latest.Size)
		}
	}
	if err := p.checkpoints(ctx, cps, &state); err != nil {
		return p.n, err
	}
	return p.n, p.anchors(ctx, &state)
}

// refresh updates the status after a step.
func (a *Archiver) refresh(stepErr error) {
	state, err := a.st.ArchiveState()
	size, err2 := a.st.Size()
	var oldest time.Time
	if err == nil && err2 == nil && state.Size < size {
		if r, err := a.st.Record(state.Size + 1); err == nil {
			oldest = r.Time
		}
	}
	a.setStatus(func(s *Status) {
		s.Archived, s.Size, s.Checkpoint, s.Last, s.Oldest = state.Size, size, state.Checkpoint, state.Time, oldest
		s.Err = ""
		if err := errors.Join(stepErr, err, err2); err != nil {
			s.Err = err.Error()
		}
	})
}

// noteOrigin is the first line of a signed checkpoint.
func noteOrigin(note []byte) (string, error) {
	origin, _, ok := strings.Cut(string(note), "\n")
	if !ok || origin == "" || strings.Contains(origin, "..") || strings.HasPrefix(origin, "/") {
		return "", fmt.Errorf("archive: checkpoint has no usable origin line")
	}
	return origin, nil
}

// push is one step's writes under one log's prefix.
type push struct {
	a   *Archiver
	dir string

	mu sync.Mutex // guards n: bodies go up in parallel
	n  int
}

// lock is the retention of an object whose newest capture is at t.
func (p *push) lock(t time.Time) Lock {
	if p.a.opts.Mode == "" {
		return Lock{}
	}
	until := t.Add(p.a.opts.Retention)
	if floor := p.a.opts.Now().Add(minRetain); until.Before(floor) {
		until = floor
	}
	return Lock{Mode: p.a.opts.Mode, Until: until}
}

// once writes an object once, counting what it wrote.
func (p *push) once(ctx context.Context, key string, data []byte, t time.Time) error {
	wrote, err := p.a.b.PutOnce(ctx, p.dir+key, data, p.lock(t))
	if err != nil {
		return err
	}
	p.a.setStatus(func(s *Status) {
		if wrote {
			s.Uploaded++
		} else {
			s.Existing++
		}
	})
	if wrote {
		p.mu.Lock()
		p.n++
		p.mu.Unlock()
	}
	return nil
}

// body writes the stored bytes under key, unless this process sent them
// already. Bytes retention deleted are skipped: the leaf still commits to
// their hash.
func (p *push) body(ctx context.Context, key string, t time.Time) error {
	p.a.sentMu.Lock()
	sent := key == "" || p.a.sent[key]
	p.a.sentMu.Unlock()
	if sent {
		return nil
	}
	rc, size, err := p.a.st.OpenBody(key)
	if errors.Is(err, store.ErrPruned) || errors.Is(err, store.ErrNotFound) {
		p.a.log.Warn().Str("body", key).Err(err).Msg("archive: body not in the store; the archive holds its hash only")
		return nil
	}
	if err != nil {
		return err
	}
	if size > bigBody {
		// One large body in memory at a time: eight of the capture limit
		// (64 MiB by default) would be half a gigabyte.
		p.a.bigMu.Lock()
		defer p.a.bigMu.Unlock()
	}
	data := make([]byte, size)
	_, err = io.ReadFull(rc, data)
	rc.Close()
	if err != nil {
		return fmt.Errorf("body %s: %w", key, err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != key {
		return fmt.Errorf("body %s: stored bytes do not match their name", key)
	}
	err = p.once(ctx, BlobPath(key), data, t)
	if errors.Is(err, ErrConflict) {
		// The leaf commits to the body's hash, and an estate review
		// reports the object that does not match it; the rest of the log
		// goes on.
		p.a.log.Error().Err(err).Str("body", key).Msg("archive: the bucket holds other bytes under this body's name; left as it is")
		p.a.setStatus(func(s *Status) { s.Conflicts++ })
	} else if err != nil {
		return err
	}
	p.a.sentMu.Lock()
	defer p.a.sentMu.Unlock()
	if len(p.a.sent) > 1<<16 {
		clear(p.a.sent)
	}
	p.a.sent[key] = true
	return nil
}

// Bucket is the bucket the archiver writes.
func (a *Archiver) Bucket() *Bucket { return a.b }
