package evidence

import "errors"

// The sentinel errors of package evidence, all in one place; test them with
// errors.Is.
var (
	// ErrEmptyLog means there is nothing to sign: the log has no records.
	ErrEmptyLog = errors.New("the log is empty: nothing to sign yet")

	// ErrWrongKey means a signed note is not signed by the key it was
	// checked with: a different log, or a pinned key that is not this
	// log's.
	ErrWrongKey = errors.New("signed by another key")

	// ErrBadSignature means a signed note is malformed or its signature
	// does not verify: it was changed after it was signed.
	ErrBadSignature = errors.New("bad signature")

	// ErrNotBundle means a file is not a readable bundle: not a zip, a
	// truncated or corrupt one, or one without a manifest.
	ErrNotBundle = errors.New("not a readable Telltale bundle")

	// ErrNoCheckpoint means an export found no signed checkpoint that
	// covers the log: sign one first (telltale checkpoint).
	ErrNoCheckpoint = errors.New("no signed checkpoint")

	// ErrTimestamp means an RFC 3161 timestamp does not verify: not over
	// its checkpoint, a bad signature, or a TSA that is not trusted.
	ErrTimestamp = errors.New("timestamp does not verify")
	// ErrLateTimestamp means a timestamp that verifies was made too long
	// after (or before) the time its checkpoint claims (timestamp_lag.go).
	ErrLateTimestamp = errors.New("timestamp too far from the checkpoint's time")
	// ErrForked means a checkpoint kept outside the log, signed by its
	// key, is not a prefix of the log: the key signed two histories.
	ErrForked = errors.New("FORKED")
)
