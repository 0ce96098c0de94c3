package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Names inside the data directory.
const (
	DBFile   = "telltale.db" // the bbolt database
	BlobsDir = "blobs"       // content-addressed bodies larger than InlineMax
	TmpDir   = "tmp"         // spooled bodies; emptied on every writable Open
)

// Defaults for zero Options fields.
const (
	DefaultTimeout   = time.Second
	DefaultInlineMax = 256 << 10
	DefaultMaxBody   = 64 << 20
	DefaultMaxBatch  = 256
	DefaultLazyDelay = 5 * time.Millisecond
	// DefaultIndexDelay: at most about twenty indexer commits a second,
	// unless readers wait (each bbolt commit costs two flushes and the
	// rewrite of every bucket's last pages, whatever it holds).
	DefaultIndexDelay = 50 * time.Millisecond
)

// MaxInlineMax is the largest InlineMax Open accepts: a record's frame
// holds its inline body and, when sealed, the redacted copy, and must stay
// under the write-ahead log's 64 MiB frame limit.
const MaxInlineMax = 16 << 20

// Options configure Open. The zero value is a writable store with the
// defaults above, the wall clock and no logging.
type Options struct {
	// ReadOnly opens the database with a shared lock, creates nothing and
	// refuses Append. It still fails with ErrLocked while a writer holds the
	// file.
	ReadOnly bool
	// Timeout is how long to wait for bbolt's file lock; 0 means 1s.
	Timeout time.Duration
	// Now stamps records appended with a zero Time; nil means time.Now.
	Now func() time.Time
	// Logger receives the store's few log lines; the zero Logger discards.
	Logger zerolog.Logger
	// InlineMax is the largest body kept in memory while spooling and
	// stored in the bodies bucket; larger bodies go to blob files. 0 means
	// 256 KiB.
	InlineMax int64
	// MaxBody is the default stored-bytes limit of NewBody; 0 means 64 MiB.
	MaxBody int64
	// MaxBatch is the most appends committed in one transaction; 0 means 256.
	MaxBatch int
	// DBPath is the database file; "" means DIR/telltale.db. Set it, with
	// ReadOnly, to open a snapshot written by WriteTo: blobs are still read
	// from DIR.
	DBPath string
	// Seal, when set, looks for secrets in every complete body of at most
	// SealMax bytes (0 means DefaultSealMax); a body that holds some gets a
	// Seal, so that a bundle can prove all of it but the secrets.
	Seal    Sealer
	SealMax int64

	// LazyDelay is how long an AppendLazy may wait for an urgent Append to
	// share its commit; 0 means 5ms.
	LazyDelay time.Duration

	// OnCommit, when set, is called by the commit loop after every batch
	// transaction with the number of appends in it, how long db.Update
	// took and its error (nil when it committed). For metrics and health:
	// it runs on the only writer, so keep it cheap.
	OnCommit func(records int, took time.Duration, err error)
	// OnIndex, when set, is called by the indexer after every transaction
	// that applies WAL records to bbolt, with their number, the records
	// still waiting for the indexer, how long it took and its error (the
	// records stay in the WAL and are retried). Keep it cheap.
	OnIndex func(records int, lag uint64, took time.Duration, err error)

	// FailRecord, when set, is called in the commit for every record
	// before it is written; an error fails that record's Append as a
	// write error would, and the rest of the batch still commits. It is
	// for tests that simulate a full disk (an error wrapping
	// syscall.ENOSPC); leave it nil.
	FailRecord func(*Record) error
	// WALDirect writes the write-ahead log with O_DIRECT|O_DSYNC instead of
	// write plus fdatasync (Linux only; Open fails elsewhere, and the first
	// Append fails on a file system without O_DIRECT, such as tmpfs).
	WALDirect bool
	// IndexDelay is how long the indexer waits for more WAL groups before
	// it applies what it has to bbolt, unless a read is waiting; 0 means
	// DefaultIndexDelay.
	IndexDelay time.Duration
	// SegmentSize is how much each write-ahead log segment preallocates;
	// 0 means DefaultSegmentSize.
	SegmentSize int64
	// ReadWait bounds how long a read waits for the indexer to apply the
	// records acknowledged when it began; past it, the read sees what is
	// indexed (List says so: ErrBehind). 0 means 15s: the indexer is
	// normally milliseconds behind, and seconds only when fsyncs stall.
	ReadWait time.Duration

	// ReserveSize is the space the write-ahead log keeps preallocated for
	// the records that say what a full disk kept it from recording
	// (wal_space.go); 0 means DefaultReserveSize.
	ReserveSize int64
	// OnSpace, when set, is called when the disk is nearly full, with the
	// free bytes: by the commit loop when a segment preallocates less than
	// SegmentSize (full is nil) and when the log becomes full, and by the
	// indexer when bbolt cannot grow (full wraps ErrFull). For alerts,
	// before and as the disk fills. Keep it cheap.
	OnSpace func(free uint64, full error)

	// diskFree, set only by tests, replaces the file system's free space.
	diskFree func(dir string) (uint64, error)
	// beforeSync, set only by tests, runs with the number of records of
	// every group before it is written to the WAL; an error fails the group.
	beforeSync func(records int) error
	// beforeIndex, set only by tests, runs at the start of every indexer
	// transaction; an error aborts it (the records stay in the WAL).
	beforeIndex func(*bolt.Tx) error
	// indexRetry, set only by tests, replaces the indexer's pause before
	// retrying a failed transaction.
	indexRetry time.Duration
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.InlineMax <= 0 {
		o.InlineMax = DefaultInlineMax
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.SealMax <= 0 {
		o.SealMax = DefaultSealMax
	}
	if o.LazyDelay <= 0 {
		o.LazyDelay = DefaultLazyDelay
	}
	if o.indexRetry <= 0 {
		o.indexRetry = indexRetry
	}
	if o.SegmentSize <= 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.ReserveSize <= 0 {
		o.ReserveSize = DefaultReserveSize
	}
	o.ReserveSize = blocks(o.ReserveSize)
	if o.diskFree == nil {
		o.diskFree = DiskFree
	}
	if o.IndexDelay <= 0 {
		o.IndexDelay = DefaultIndexDelay
	}
	if o.ReadWait <= 0 {
		o.ReadWait = indexWait
	}
	o.SegmentSize = (o.SegmentSize + 4095) &^ 4095 // whole blocks, for O_DIRECT
	return o
}

// Stats are counters for metrics. They cover this Store value only.
type Stats struct {
	Appends    uint64        // records committed
	Batches    uint64        // transactions committed
	Failed     uint64        // appends that failed in a commit
	LastBatch  int           // records in the last committed transaction
	MaxBatch   int           // records in the largest committed transaction
	LastCommit time.Duration // duration of the last group's WAL write and flush, wall clock

	Indexed      uint64        // records applied to bbolt by the indexer
	IndexBatches uint64        // indexer transactions committed
	IndexErrors  uint64        // indexer transactions that failed (and were retried)
	LastIndex    time.Duration // duration of the last indexer transaction
	IndexLag     uint64        // records durable in the WAL but not yet in bbolt
}

// Store is the durable, append-only capture log. Its methods are safe for
// concurrent use.
type Store struct {
	dir  string
	opts Options
	db   *bolt.DB
	log  zerolog.Logger

	sealMisses sealMisses // bodies the Sealer found no secret in
	bigMem     memBudget  // bodies above InlineMax held in memory (Body.Expect)

	// mu is held for reading while an Append hands its record to the commit
	// loop, so that Close can close queue once no sender is left.
	mu     sync.RWMutex
	closed bool

	queue chan *pending // to the commit loop; nil when ReadOnly
	done  chan struct{} // closed when the commit loop has drained and exited

	// The commit loop's own: the WAL, the last Seq it assigned, and the
	// requests still awaiting their response.
	wal   *wal
	seq   uint64
	links *links

	toIndex   chan []walEntry // durable groups, from the commit loop to the indexer; nil when ReadOnly
	indexDone chan struct{}   // closed when the indexer has exited
	durable   atomic.Uint64   // last Seq flushed to the WAL
	indexed   atomic.Uint64   // last Seq applied to bbolt
	idxMu     sync.Mutex
	idxCh     chan struct{} // closed and replaced whenever indexed grows
	kick      chan struct{} // a read is waiting: the indexer should not wait for more

	// pruneMu is held for reading by Append from sealing its body to its
	// commit, and for writing by Prune while it deletes bodies, so that an
	// Append never counts on a deduplicated body that is being deleted
	// (retention.go).
	pruneMu sync.RWMutex

	statsMu sync.Mutex
	stats   Stats

	healthMu sync.Mutex
	walFull  error // the WAL's full state, as the commit loop last saw it
	indexErr error // of the indexer's last transaction; nil once one commits
}

// Open opens, or creates, the store in the data directory dir.
func Open(dir string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if opts.InlineMax > MaxInlineMax {
		return nil, fmt.Errorf("open store: InlineMax %d is above %d: an inline body and its sealed copy must fit one write-ahead frame", opts.InlineMax, MaxInlineMax)
	}
	if opts.WALDirect && !directSupported {
		return nil, fmt.Errorf("open store: O_DIRECT write-ahead log: %w", errors.ErrUnsupported)
	}
	if opts.ReadOnly {
		if err := applyWAL(dir, opts); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	s := &Store{dir: dir, opts: opts, bigMem: memBudget{max: bigMemBudget}}
	s.log = opts.Logger.With().Str("component", "store").Logger()
	if !opts.ReadOnly {
		if err := makeDirs(dir); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	path := opts.DBPath
	if path == "" {
		path = filepath.Join(dir, DBFile)
	}
	if err := checkFile(path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      opts.Timeout,
		ReadOnly:     opts.ReadOnly,
		FreelistType: bolt.FreelistMapType,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open store: %w", ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.db = db
	if err := s.init(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if !opts.ReadOnly {
		if err := s.start(); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	return s, nil
}

// start applies what the WAL holds beyond the database and starts the
// commit loop and the indexer.
func (s *Store) start() error {
	// Only now that we hold the exclusive lock are the files in tmp and
	// wal surely nobody's.
	s.cleanTmp()
	dir := filepath.Join(s.dir, WALDir)
	if err := s.replay(dir); err != nil {
		return err
	}
	if err := s.logRecovered(); err != nil {
		return err
	}
	var size uint64
	if err := s.db.View(func(tx *bolt.Tx) error {
		size = tx.Bucket(bucketRecords).Sequence()
		return nil
	}); err != nil {
		return err
	}
	s.wal = &wal{dir: dir, segSize: s.opts.SegmentSize, directIO: s.opts.WALDirect,
		reserveSize: s.opts.ReserveSize, freeSpace: s.opts.diskFree, onSpace: s.opts.OnSpace}
	if err := s.wal.openReserve(); err != nil {
		s.log.Warn().Err(err).Msg("store: no reserve for the write-ahead log: when the disk is full, what could not be recorded is not recorded either")
	}
	s.seq = size
	s.durable.Store(size)
	s.indexed.Store(size)
	s.links = newLinks(size, func(c uint64) error {
		return s.db.View(func(tx *bolt.Tx) error { return checkCapture(tx, c) })
	})
	s.idxCh = make(chan struct{})
	s.kick = make(chan struct{}, 1)
	s.queue = make(chan *pending, s.opts.MaxBatch)
	s.done = make(chan struct{})
	s.toIndex = make(chan []walEntry, indexQueue)
	s.indexDone = make(chan struct{})
	go s.commitLoop()
	go s.indexLoop()
	return nil
}

// indexQueue is how many groups may wait for the indexer before the
// commit loop waits for it: the bound on the index lag.
const indexQueue = 64

// applyWAL opens the store in dir writable once, so that a crash's WAL
// tail is in the database before a read-only Open, and closes it.
func applyWAL(dir string, opts Options) error {
	if opts.DBPath != "" || !hasSegments(filepath.Join(dir, WALDir)) {
		return nil
	}
	opts.ReadOnly = false
	w, err := Open(dir, opts)
	if err != nil {
		return fmt.Errorf("apply the write-ahead log left by an unclean stop: %w", err)
	}
	return w.Close()
}

// logRecovered completes the captures an earlier process left without a
// response record (notrecorded.go) and says so.
func (s *Store) logRecovered() error {
	done, err := s.recoverInterrupted()
	if err != nil || len(done) == 0 {
		return err
	}
	s.log.Warn().Int("captures", len(done)).Uints64("ids", done[:min(len(done), 100)]).
		Msg("store: captures left without a response record by an earlier run are now marked \"" + NotRecorded + " (interrupted)\"")
	return nil
}

// Close waits for the appends already queued to commit, stops the commit
// loop and closes the database. Appends after Close fail with ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	if s.queue != nil {
		close(s.queue)
		<-s.done
		<-s.indexDone
		if err := s.wal.close(s.indexed.Load()); err != nil {
			s.log.Warn().Err(err).Msg("store: remove wal segments")
		}
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Path is the database file.
func (s *Store) Path() string { return s.db.Path() }

// Stats returns a snapshot of the counters.
func (s *Store) Stats() Stats {
	s.statsMu.Lock()
	st := s.stats
	s.statsMu.Unlock()
	if d, i := s.durable.Load(), s.indexed.Load(); d > i {
		st.IndexLag = d - i
	}
	return st
}

// view runs fn in a read transaction. It first waits for the indexer to
// apply every record durable so far (caughtUp), so that a read sees every
// Append that has returned. A fault reading the mapped file (a file
// truncated while open: SIGBUS) is ErrDamaged, not a crash.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	s.caughtUp()
	return s.viewIndexed(fn)
}

// viewIndexed is view without the wait: fn sees what is indexed now. For
// reads whose records are known to be indexed (indexedTo) or that do not
// read what the WAL feeds (the derived buckets).
func (s *Store) viewIndexed(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			fault, ok := r.(interface{ Addr() uintptr })
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("%w: reading %s faulted (%v): was it truncated while open?", ErrDamaged, DBFile, fault)
		}
	}()
	err = s.db.View(fn)
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

func makeDirs(dir string) error {
	for _, d := range []string{dir, filepath.Join(dir, BlobsDir), filepath.Join(dir, TmpDir), filepath.Join(dir, WALDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// cleanTmp removes bodies spooled by a process that died before it could.
func (s *Store) cleanTmp() {
	dir := filepath.Join(s.dir, TmpDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		s.log.Warn().Err(err).Msg("store: read tmp dir")
		return
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			s.log.Warn().Err(err).Str("file", e.Name()).Msg("store: remove stale tmp file")
		}
	}
	if len(entries) > 0 {
		s.log.Info().Int("files", len(entries)).Msg("store: removed stale tmp files")
	}
}

// syncDir makes a directory's entries (a rename, a new file) durable.
//
// Windows has no such call: FlushFileBuffers on a directory handle opened
// read-only, as os.Open opens it, fails with "Access is denied"
// (https://github.com/microsoft/go/issues/1907), and NTFS journals its
// metadata, so a rename is durable once the file it names is flushed.
// Badger and wasmtime skip it there too, as certs/files.go does.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
