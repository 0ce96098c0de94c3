package store

import (
	"errors"
	"fmt"
)

// The sentinel errors of the store, all in one place. The store wraps them
// with context ("capture 12: not found"); test them with errors.Is.
var (
	// ErrNotFound means there is no record, capture or body under the given
	// key, or the key is malformed (a capture id that is not a canonical
	// decimal, a content address that is not 64 lowercase hex digits), or a
	// tree size beyond the log.
	ErrNotFound = errors.New("not found")

	// ErrClosed is returned by Append after Close, by reads after Close, and
	// by a Body after its Close.
	ErrClosed = errors.New("store closed")

	// ErrLocked means another process holds the database file (`telltale
	// serve` is running): bbolt's file lock could not be taken within
	// Options.Timeout.
	ErrLocked = errors.New("store locked by another process")

	// ErrReadOnly is returned by Append on a store opened with ReadOnly.
	ErrReadOnly = errors.New("store opened read-only")

	// ErrInvalid means Append refused a record: an unknown kind, a capture
	// link that does not point at an earlier request, a time that does not
	// fit in int64 nanoseconds, or a BodyRef that is malformed or does not
	// describe the Body passed with it. Nothing is written.
	ErrInvalid = errors.New("invalid record")

	// ErrDamaged means the database file cannot be opened safely: it is
	// empty, has no valid bbolt meta page, or is shorter than the pages
	// its meta counts (truncated by a copy, a full disk or a tool). Open
	// checks before bbolt maps the file, which would fault (SIGBUS) on the
	// missing pages. The message says what is wrong and how to recover.
	ErrDamaged = errors.New("store file damaged")

	// ErrPruned means retention (Prune) deleted the stored bytes of a body;
	// the records and hashes that describe it stay. It wraps ErrNotFound.
	ErrPruned = fmt.Errorf("body pruned by retention: %w", ErrNotFound)
)

// ErrBehind means a read could not wait (Options.ReadWait) for the
// indexer to apply every record acknowledged when it began: what it
// returns lacks the newest captures. List returns it as a *BehindError,
// with what the index holds.
var ErrBehind = errors.New("index behind the write-ahead log")

// ErrCorrupt means the write-ahead log holds an intact frame (its checksum
// matches) that does not decode, or records out of order: not a torn
// write, which a crash leaves and replay drops, but damage. Open refuses
// the store rather than guess.
var ErrCorrupt = errors.New("write-ahead log corrupt")
