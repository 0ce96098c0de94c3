package server

import (
	"time"

	"github.com/telltale/telltale/evidence"
)

// Serve anchors each upload within minutes (issue 19): a checkpoint is
// signed once the log has grown and then stayed the same size for
// evidence.checkpoint_debounce, so that a burst of captures (a license
// upload is several exchanges) gets one checkpoint, time-stamped and
// witnessed right after the last of them. checkpoint_interval stays the
// ceiling for a log that never settles.

// settling is the checkpointer loop's view of the log's growth.
type settling struct {
	size    uint64    // the log's size at the last poll
	grewAt  time.Time // when the loop first saw it at that size
	retryAt time.Time // the last retry of failed anchors
}

// pollEvery is how often the loop reads the log's size: a fraction of the
// debounce, so a checkpoint follows the last capture by at most a quarter
// more than it, and never more often than every 10ms or less often than
// every 5s.
func pollEvery(debounce time.Duration) time.Duration {
	return min(max(debounce/4, 10*time.Millisecond), 5*time.Second)
}

// due reports whether the loop should sign now: the log grew past the
// latest checkpoint and has not grown for the debounce; or the last
// round of anchors failed, a debounce ago, and the latest checkpoint is
// still recent enough for a timestamp to prove its time.
func (c *checkpointer) due(s *settling) bool {
	now := c.now()
	size, err := c.st.Size()
	if err != nil {
		return false
	}
	if size <= c.signed.Load() {
		s.size = size
		return c.retryDue(s, now)
	}
	if size != s.size {
		s.size, s.grewAt = size, now
		return false
	}
	if now.Sub(s.grewAt) < c.debounce {
		return false
	}
	s.grewAt = now // should the signing fail, the next try is a debounce later
	return true
}

func (c *checkpointer) retryDue(s *settling, now time.Time) bool {
	if !c.anchorRetry.Load() || now.Sub(s.retryAt) < c.debounce {
		return false
	}
	cp, err := c.st.LatestCheckpoint()
	if err != nil {
		return false
	}
	if t, err := evidence.CheckpointTime(cp.Note); err != nil || now.Sub(t) > evidence.StampWindow {
		c.anchorRetry.Store(false) // too late to prove its time: the next checkpoint will be
		return false
	}
	s.retryAt = now
	return true
}
