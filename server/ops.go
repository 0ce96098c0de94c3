package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/alert"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/metrics"
	"github.com/telltale/telltale/proxy"
	"github.com/telltale/telltale/store"
)

// DeadLetterFile, in the data dir, keeps alerts the webhook did not take.
const DeadLetterFile = "alerts-dead-letter.jsonl"

// How often serve measures the store and the disk, and how long after
// start it first applies retention (Options.FirstPrune changes it).
const (
	checkEvery = time.Minute
	firstPrune = time.Minute
)

// operations keeps serve observable and within bounds while it runs for
// months unattended: metrics, alerts, the size and free-space checks and
// retention. The checkpointer and the analysis code report through
// Metrics (SetCheckpoint, Drift, NewEndpoint) and Alerts
// (CheckpointUnsigned, Drift, NewEndpoint).
type operations struct {
	Metrics *metrics.Metrics
	Alerts  *alert.Notifier
	log     zerolog.Logger
	dataDir string
	// ckptEvery is evidence.checkpoint_interval and started when serve
	// started, for the checkpoint watchdog (checkCheckpoint).
	ckptEvery time.Duration
	started   time.Time
	// firstPrune is how long after start retention first runs.
	firstPrune time.Duration
	// keepUnarchived: an archive is configured, so retention keeps the
	// bodies it does not hold yet (store.Retention.KeepUnarchived).
	keepUnarchived bool

	// source reads the configuration again for a reload (reload.go); nil
	// when there is nothing to reload from. Set before Run.
	source func() (*configs.Config, error)

	mu        sync.Mutex // guards what follows
	alerts    configs.Alerts
	retention configs.Retention
	applied   *configs.Config // by the last reload; nil before any
	commitErr error           // of the last store commit, for /readyz

	stop chan struct{}
	done chan struct{} // closed when the housekeeping loop has exited
	once sync.Once
}

// client makes the webhook's posts (Server.guard's).
func newOperations(cfg *configs.Config, log zerolog.Logger, sink alert.Sink, client *http.Client) *operations {
	o := &operations{
		Metrics:    metrics.New(metrics.Options{}),
		log:        log.With().Str("component", "ops").Logger(),
		dataDir:    cfg.DataDir,
		ckptEvery:  time.Duration(cfg.Evidence.CheckpointInterval),
		started:    time.Now(),
		firstPrune: firstPrune,
		alerts:     cfg.Alerts,
		retention:  cfg.Capture.Retention,
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	o.keepUnarchived = cfg.Archive.Enabled()
	o.Alerts = alert.New(alert.Options{
		Webhook:    cfg.Alerts.Webhook,
		DeadLetter: filepath.Join(cfg.DataDir, DeadLetterFile),
		Repeat:     time.Duration(cfg.Alerts.Repeat),
		OnOutcome:  o.Metrics.Alert,
		Sink:       sink,
		Client:     client,
		Logger:     log,
	})
	return o
}

// observe is proxy.Options.Observe: metrics and alerts for every event.
func (o *operations) observe(e proxy.Event) {
	o.Metrics.Observe(e)
	o.Alerts.Observe(e)
}

// onCommit is store.Options.OnCommit.
func (o *operations) onCommit(records int, took time.Duration, err error) {
	o.Metrics.ObserveCommit(records, took, err)
	o.mu.Lock()
	o.commitErr = err
	o.mu.Unlock()
}

// onSpace is store.Options.OnSpace: the disk is nearly full (the log
// preallocates in smaller steps) or full. It alerts at once rather than
// at the next check, and a full disk whatever alerts.min_free_bytes says.
func (o *operations) onSpace(free uint64, full error) {
	o.Metrics.SetDiskFree(free)
	a, _ := o.settings()
	if full != nil || a.MinFreeBytes > 0 && free < uint64(a.MinFreeBytes) {
		o.Alerts.DiskLow(o.dataDir, free, uint64(a.MinFreeBytes))
	}
}

// lastCommitErr is the error of the last store commit, nil if it worked.
func (o *operations) lastCommitErr() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.commitErr
}

// reload applies the alerts and retention settings of a new config.
func (o *operations) reload(cfg *configs.Config) {
	o.mu.Lock()
	o.alerts, o.retention = cfg.Alerts, cfg.Capture.Retention
	o.mu.Unlock()
	o.Alerts.Reconfigure(cfg.Alerts.Webhook, time.Duration(cfg.Alerts.Repeat))
}

func (o *operations) settings() (configs.Alerts, configs.Retention) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.alerts, o.retention
}

// start runs the housekeeping loop: the store and disk checks now and
// every checkEvery, retention a minute after start and then every
// capture.retention.interval.
func (o *operations) start(st *store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(o.done)
		defer cancel()
		o.check(st)
		o.checkCheckpoint(st, time.Now())
		check := time.NewTicker(checkEvery)
		defer check.Stop()
		prune := time.NewTimer(o.firstPrune)
		defer prune.Stop()
		for {
			select {
			case <-o.stop:
				return
			case <-check.C:
				o.check(st)
				o.checkCheckpoint(st, time.Now())
			case <-prune.C:
				o.prune(ctx, st)
				_, r := o.settings()
				prune.Reset(time.Duration(r.Interval))
			}
		}
	}()
	go func() {
		<-o.stop
		cancel() // interrupts a long retention run
	}()
}

// check measures the store and the free disk, and alerts past the limits.
func (o *operations) check(st *store.Store) {
	a, _ := o.settings()
	if u, err := st.Usage(); err != nil {
		o.log.Warn().Err(err).Msg("could not measure the store")
	} else {
		o.Metrics.SetUsage(u)
		if a.SizeThresholdBytes > 0 && u.Total() > int64(a.SizeThresholdBytes) {
			o.Alerts.StoreSize(u.Total(), int64(a.SizeThresholdBytes))
		}
	}
	free, err := store.DiskFree(o.dataDir)
	if err != nil {
		o.log.Warn().Err(err).Msg("could not measure free disk space")
		return
	}
	o.Metrics.SetDiskFree(free)
	if a.MinFreeBytes > 0 && free < uint64(a.MinFreeBytes) {
		o.Alerts.DiskLow(o.dataDir, free, uint64(a.MinFreeBytes))
	}
}

// checkCheckpoint feeds the checkpoint age metric from the newest stored
// checkpoint, and alerts when the log has grown past it for more than two
// checkpoint intervals: whatever the reason, signing is not happening.
func (o *operations) checkCheckpoint(st *store.Store, now time.Time) {
	size, err := st.Size()
	if err != nil {
		return
	}
	var signed time.Time
	var covered uint64
	cp, err := st.LatestCheckpoint()
	if err == nil {
		covered = cp.Size
		if c, perr := evidence.ParseCheckpoint(noteText(cp.Note)); perr == nil {
			signed = c.Time
			o.Metrics.SetCheckpoint(signed)
		}
	}
	since := signed
	if since.IsZero() || since.Before(o.started) {
		since = o.started // serve signs at start
	}
	if o.ckptEvery <= 0 || size <= covered || now.Sub(since) <= 2*o.ckptEvery+checkEvery {
		return
	}
	o.Alerts.CheckpointUnsigned(fmt.Errorf("the log has %d records past the last signed checkpoint (tree size %d), "+
		"and serve signs every %s: check the log for \"could not sign\" and the key in DATA/ca", size-covered, covered, o.ckptEvery))
}

// noteText is the text of a signed note, without its signature lines.
func noteText(note []byte) string {
	text, _, _ := strings.Cut(string(note), "\n\n")
	return text + "\n"
}

// prune runs retention once, if any limit is set.
func (o *operations) prune(ctx context.Context, st *store.Store) {
	_, r := o.settings()
	if !r.Enabled() {
		return
	}
	res, err := st.Prune(ctx, store.Retention{MaxAge: time.Duration(r.MaxAge), MaxBytes: int64(r.MaxBytes),
		KeepUnarchived: o.keepUnarchived})
	o.Metrics.Pruned(res)
	if err != nil && !errors.Is(err, context.Canceled) {
		o.log.Error().Err(err).Msg("retention failed; it will run again at the next interval")
	}
}

// close stops the loop and delivers the alerts still queued (5s at most;
// the rest go to the dead-letter file). It is idempotent.
func (o *operations) close(started bool) {
	o.once.Do(func() {
		close(o.stop)
		if started {
			<-o.done
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := o.Alerts.Close(ctx); err != nil {
			o.log.Warn().Err(err).Msg("alerts")
		}
	})
}
