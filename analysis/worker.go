package analysis

import (
	"context"
	"sync"
	"time"
)

// worker is the background goroutine of a serving Analyzer.
type worker struct {
	// wake has one slot: Notify never blocks, and wake-ups that arrive
	// while a scan runs merge into one more scan, which reads the log
	// from the cursor and so misses nothing.
	wake  chan struct{}
	flush chan chan error
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

// Start catches up on the captures not yet analysed, in the background,
// and then analyses each capture Notify announces. Call it once, on a
// writable store; Close stops it.
func (a *Analyzer) Start() {
	w := &worker{wake: make(chan struct{}, 1), flush: make(chan chan error), stop: make(chan struct{})}
	a.w = w
	w.wg.Add(1)
	go a.run(w)
}

func (a *Analyzer) run(w *worker) {
	defer w.wg.Done()
	n, err := a.scan(w.stop)
	if err != nil {
		a.log.Error().Err(err).Msg("analysis: catch-up failed; it is retried on the next capture")
	}
	if n > 0 {
		a.log.Warn().Int("events", n).Msg("analysis: catch-up found drift in earlier captures; `telltale drift` lists them")
	}
	a.scanMu.Lock()
	a.live = true
	a.scanMu.Unlock()
	for {
		select {
		case <-w.stop:
			return
		case <-w.wake:
			if _, err := a.scan(w.stop); err != nil {
				a.log.Error().Err(err).Msg("analysis: scan failed")
			}
			if !a.settle(w) {
				return
			}
		case reply := <-w.flush:
			_, err := a.scan(w.stop)
			reply <- err
		}
	}
}

// settle lets captures accumulate after a scan: at most one scan (and one
// save, one commit) per Options.Settle, so that a burst of traffic is
// analysed in batches instead of competing with the capture path for the
// CPU and the store's single writer once per exchange. A Flush cuts the
// wait short. It reports false when the worker is stopping.
func (a *Analyzer) settle(w *worker) bool {
	t := time.NewTimer(a.opts.settle())
	defer t.Stop()
	select {
	case <-w.stop:
		return false
	case <-t.C:
	case reply := <-w.flush:
		_, err := a.scan(w.stop)
		reply <- err
	}
	return true
}

// Notify tells the worker that capture id has finished. It never blocks,
// so the proxy can call it from proxy.Options.Observe.
func (a *Analyzer) Notify(id uint64) {
	if a == nil || a.w == nil {
		return
	}
	select {
	case a.w.wake <- struct{}{}:
	default: // a scan is already due; it will see this capture
	}
}

// Flush waits until the worker has analysed every capture complete so
// far. Without a worker (a read-only store) it brings the in-memory
// derived data up to date.
func (a *Analyzer) Flush(ctx context.Context) error {
	if a.w == nil {
		_, err := a.scan(ctx.Done())
		return err
	}
	reply := make(chan error, 1)
	select {
	case a.w.flush <- reply:
	case <-a.w.stop:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the worker, mid-scan if need be: what it had not saved is
// analysed again on the next start. Close the Analyzer before its store.
// A nil Analyzer closes as a no-op.
func (a *Analyzer) Close() error {
	if a == nil || a.w == nil {
		return nil
	}
	a.w.once.Do(func() { close(a.w.stop) })
	a.w.wg.Wait()
	return nil
}

// ready brings a read-only Analyzer's in-memory derived data up to date,
// once, before its first query.
func (a *Analyzer) ready() error {
	if !a.readOnly {
		return nil
	}
	a.catchUp.Do(func() { _, a.catchUpErr = a.scan(nil) })
	return a.catchUpErr
}
