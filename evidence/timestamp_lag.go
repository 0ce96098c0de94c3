package evidence

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// A timestamp proves that a checkpoint existed no later than the TSA's
// time (genTime); it proves nothing about the time the checkpoint claims
// on its "time" line, which whoever holds the log key writes. A checkpoint
// that claims 03:05 but was first time-stamped at 03:23 may have been
// signed at 03:22 over a rewritten log. So verify compares the two and
// fails a timestamp made longer than MaxLag after (or before) the claimed
// time: serve stamps each checkpoint as soon as it signs it, and stamps
// none older than StampWindow, so a genuine one is seconds late.

// DefaultMaxLag is `telltale verify --max-lag`'s default: a timestamp may
// be this much later (or earlier: clocks differ) than the checkpoint's
// time. Serve stamps a checkpoint seconds after it signs it; StampWindow
// leaves room for a TSA that answered only on a retry.
const DefaultMaxLag = 10 * time.Minute

// StampWindow is the oldest checkpoint serve still has time-stamped
// (StampCheckpointsSince): an older one would fail DefaultMaxLag, so it
// stays unstamped, and the next checkpoint, which extends it, is stamped
// instead.
const StampWindow = 5 * time.Minute

// checkLag fails a timestamp whose genTime is more than maxLag away from
// the time its checkpoint claims; maxLag 0 compares nothing.
func checkLag(claimed time.Time, s Stamped, maxLag time.Duration) error {
	if maxLag <= 0 {
		return nil
	}
	lag := s.Time.Sub(claimed)
	switch {
	case lag > maxLag:
		return fmt.Errorf("%w: time-stamped at %s by %s, %v after the time the checkpoint claims (%s), more than the %v allowed (--max-lag): "+
			"it proves the checkpoint existed only by %s; it may have been signed then, over a rewritten log, with an earlier time",
			ErrLateTimestamp, s.Time.UTC().Format(time.RFC3339), s.TSA, lag.Round(time.Second),
			claimed.UTC().Format(time.RFC3339), maxLag, s.Time.UTC().Format(time.RFC3339))
	case -lag > maxLag:
		return fmt.Errorf("%w: time-stamped at %s by %s, %v before the time the checkpoint claims (%s), more than the %v allowed (--max-lag): "+
			"the log key's clock was wrong, so its checkpoints' times are not to be relied on",
			ErrLateTimestamp, s.Time.UTC().Format(time.RFC3339), s.TSA, (-lag).Round(time.Second),
			claimed.UTC().Format(time.RFC3339), maxLag)
	}
	return nil
}

// CheckpointTime is the time a signed checkpoint claims on its time line.
// It does not check the signature: use it on a stored checkpoint, whose
// signature Verify checks.
func CheckpointTime(msg []byte) (time.Time, error) {
	i := bytes.Index(msg, []byte("\n\n"))
	if i < 0 {
		return time.Time{}, errors.New("not a signed note")
	}
	c, err := ParseCheckpoint(string(msg[:i+1]))
	if err != nil {
		return time.Time{}, err
	}
	return c.Time, nil
}

// ProvenBy says what a timestamp proves: "proven no later than <genTime>
// by <TSA>".
func (s Stamped) ProvenBy() string {
	return fmt.Sprintf("proven no later than %s by %s", s.Time.UTC().Format(time.RFC3339), s.TSA)
}
