package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// A write-ahead log that lost acknowledged records (wal_scan.go) stops
// every Open until the operator runs Recover: it applies every record that
// reads, puts a KindLost record in the place of each one that does not, so
// that the log says forever what it lost and where, and moves the segments
// aside to DIR/wal/damaged/ for whoever investigates.

// KindLost stands in for a record the write-ahead log acknowledged but
// could not give back (a damaged or missing segment): appended by
// Recover at the lost record's Seq, with Error saying what was found
// where. It opens and completes a capture of its own: whether the lost
// record was a request or a response is unknown.
const KindLost Kind = "lost"

// CaptureLost is the capture kind of a KindLost record.
const CaptureLost = "lost"

// LostPrefix starts the Error of every KindLost record.
const LostPrefix = "lost from the write-ahead log before it reached the database"

// DamagedDir, inside DIR/wal, holds the segments Recover moved aside, one
// directory per run.
const DamagedDir = "damaged"

// RecoverResult says what Recover did.
type RecoverResult struct {
	Applied uint64      // intact records applied from the log
	Lost    []WALDamage // where records were lost; each is now a KindLost record
	// MovedTo is the directory the segments went to; "" when the log lost
	// nothing and Recover only applied it, as Open would.
	MovedTo string
}

// LostRecords is the number of KindLost records Recover appended.
func (r RecoverResult) LostRecords() uint64 { return lostRecords(r.Lost) }

// Recover applies the write-ahead log of the store in dir when Open
// refuses it (a *WALError): every record that reads goes in at its Seq,
// and a KindLost record takes the place of each that does not. Once that
// is in bbolt, synced, the segments move to DIR/wal/damaged/<time>/,
// closed and untouched. A log that lost nothing is applied as Open
// applies it. Like Compact, Recover needs the store to itself: while
// serve runs it fails with ErrLocked. A damaged database file is
// ErrDamaged, not Recover's to mend.
func Recover(dir string, opts Options) (RecoverResult, error) {
	opts = opts.withDefaults()
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		return RecoverResult{}, fmt.Errorf("recover: %w", err)
	}
	if err := checkFile(path); err != nil {
		return RecoverResult{}, fmt.Errorf("recover: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, berrors.ErrTimeout) {
		return RecoverResult{}, fmt.Errorf("recover: %w", ErrLocked)
	}
	if err != nil {
		return RecoverResult{}, fmt.Errorf("recover: %w", err)
	}
	res, files, err := recoverInto(db, dir, opts.Now())
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil && files != nil {
		res.MovedTo, err = moveAside(filepath.Join(dir, WALDir), files, opts.Now())
	}
	if err != nil {
		return res, fmt.Errorf("recover: %w", err)
	}
	// Open applies a log that lost nothing, marks the captures left
	// without a response, and proves the store opens.
	s, err := Open(dir, opts)
	if err != nil {
		return res, fmt.Errorf("recover: %w", err)
	}
	return res, s.Close()
}

// recoverInto writes what the log holds into db: the records that read
// and a KindLost record for each that does not. With no loss it writes
// nothing. files are the segments read.
func recoverInto(db *bolt.DB, dir string, now time.Time) (RecoverResult, []string, error) {
	var res RecoverResult
	var sc *walScan
	err := db.View(func(tx *bolt.Tx) error {
		if err := checkVersion(tx); err != nil {
			return err
		}
		size, mark := walMarks(tx)
		var err error
		sc, err = scanWAL(filepath.Join(dir, WALDir), size, mark)
		return err
	})
	if err != nil || len(sc.damage) == 0 {
		return res, nil, err
	}
	res.Lost = slices.DeleteFunc(slices.Clone(sc.damage), func(d WALDamage) bool { return d.From == 0 })
	for chunk := range slices.Chunk(sc.slots, maxIndexBatch) {
		err := db.Update(func(tx *bolt.Tx) error {
			w, err := newTxWriter(tx)
			if err != nil {
				return err
			}
			for _, e := range chunk {
				if e == nil {
					e, err = lostEntry(w.size+1, sc.damage, now)
					if err != nil {
						return err
					}
				} else {
					res.Applied++
				}
				if err := w.apply(e); err != nil {
					return err
				}
			}
			return w.finish()
		})
		if err != nil {
			return res, nil, err
		}
	}
	return res, append([]string{}, sc.files...), nil // not nil: move the head aside even with no segment
}

// lostEntry is the KindLost record that takes the place of record seq.
func lostEntry(seq uint64, damage []WALDamage, now time.Time) (*walEntry, error) {
	why := "no segment holds it"
	for _, d := range damage {
		if d.From <= seq && seq <= d.To {
			why = d.String()
			break
		}
	}
	r := &Record{Seq: seq, Capture: seq, Kind: KindLost, Time: now,
		Error: LostPrefix + " (found by `telltale recover`): " + why}
	value, leaf, err := encodeRecord(r, nil)
	if err != nil {
		return nil, fmt.Errorf("lost record %d: %w", seq, err)
	}
	e := newEntry(r, value, leaf, &pending{})
	return &e, nil
}

// moveAside moves the segment files from walDir into a new directory
// under walDir/damaged and makes the moves durable. The files are closed:
// Windows renames no open file.
func moveAside(walDir string, files []string, now time.Time) (string, error) {
	to := filepath.Join(walDir, DamagedDir, now.UTC().Format("20060102T150405.000000000Z"))
	if err := os.MkdirAll(to, 0o700); err != nil {
		return "", err
	}
	// The head first: a head naming a segment that is gone is damage.
	if err := os.Rename(filepath.Join(walDir, headFile), filepath.Join(to, headFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	for _, name := range files {
		if err := os.Rename(filepath.Join(walDir, name), filepath.Join(to, name)); err != nil {
			return "", err
		}
	}
	for _, d := range []string{to, filepath.Dir(to), walDir} {
		if err := syncDir(d); err != nil {
			return "", err
		}
	}
	return to, nil
}
