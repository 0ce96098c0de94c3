package archive

import (
	"context"
	"errors"
	"time"
)

// Run pushes every interval until ctx ends. A failed step is retried
// with backoff (from a second, doubling, up to interval); it never stops
// the loop, and capture never waits for it: the archiver only reads the
// store.
func (a *Archiver) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Minute
	}
	wait, backoff := time.Duration(0), time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		n, err := a.Step(ctx)
		switch {
		case err == nil:
			if n > 0 {
				a.log.Info().Int("objects", n).Uint64("archived", a.Status().Archived).Msg("archive: pushed")
			}
			wait, backoff = interval, time.Second
		case errors.Is(err, context.Canceled):
			return
		default:
			a.log.Error().Err(err).Dur("retry_in", backoff).Msg("archive: push failed; capture goes on, the archive retries")
			wait, backoff = backoff, min(backoff*2, interval)
		}
	}
}
