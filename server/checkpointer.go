package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/store"
)

// checkpointer signs checkpoints of the log for serve: at start (the log
// may have grown while serve was down), once new captures have settled
// (evidence.checkpoint_debounce after the log last grew), every
// evidence.checkpoint_interval at the latest, when asked (POST
// /api/checkpoint) and at shutdown, after the proxy has drained. Each new
// checkpoint is time-stamped and witnessed as soon as it is signed, so an
// upload is anchored outside this machine within minutes of leaving it,
// and logged in full at info level.
type checkpointer struct {
	st       *store.Store
	index    *evidence.IndexCache // the capture index, extended at each checkpoint
	signer   note.Signer
	interval time.Duration
	// debounce is how long the log must stay the same size, after it
	// grew, before the loop signs; 0 signs at interval only.
	debounce time.Duration
	log      zerolog.Logger
	now      func() time.Time
	// anchors timestamps and sends each checkpoint (anchors.go); nil or
	// empty when evidence.tsa_url and witness_url are not set.
	anchors *Anchorer

	mu sync.Mutex // one signing at a time

	signed      atomic.Uint64 // tree size of the latest checkpoint
	anchorRetry atomic.Bool   // the last round of anchors failed

	stop chan struct{} // closed by Close
	done chan struct{} // closed when the loop has exited; nil before start
}

// openCheckpointer loads the log key from DATA/ca, creating it on first
// start.
func openCheckpointer(dataDir string, interval time.Duration, st *store.Store, log zerolog.Logger) (*checkpointer, error) {
	signer, vkey, created, err := certs.OpenSigner(filepath.Join(dataDir, "ca"), LogKeyName())
	if err != nil {
		return nil, err
	}
	log = log.With().Str("component", "evidence").Logger()
	if created {
		log.Info().Str("key", vkey).Str("file", filepath.Join(dataDir, "ca", "log.pub")).
			Msg("evidence: created the log signing key; record this verifier key outside this machine")
	}
	return &checkpointer{st: st, index: evidence.NewIndexCache(st), signer: signer, interval: interval, log: log, now: time.Now,
		stop: make(chan struct{})}, nil
}

// LogKeyName is the note name of a new log key: telltale/<hostname>.
func LogKeyName() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r <= ' ' || r == '+' || r == 0x7f {
			return '-'
		}
		return r
	}, host)
	if host == "" {
		host = "log"
	}
	return "telltale/" + host
}

// start signs a first checkpoint and starts the periodic loop.
func (c *checkpointer) start() {
	c.done = make(chan struct{})
	go func() {
		defer close(c.done)
		c.signLogged()
		t := time.NewTicker(c.interval)
		defer t.Stop()
		var poll <-chan time.Time
		if c.debounce > 0 {
			p := time.NewTicker(pollEvery(c.debounce))
			defer p.Stop()
			poll = p.C
		}
		var s settling
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				c.signLogged()
			case <-poll:
				if c.due(&s) {
					c.signLogged()
				}
			}
		}
	}()
}

// Sign signs a checkpoint now if the log grew, anchors every checkpoint
// that still lacks its anchors (a failure is logged, alerted and retried
// at the next Sign), and returns the latest checkpoint.
func (c *checkpointer) Sign(ctx context.Context) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, signed, err := c.index.SignTree(c.signer, c.now())
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	c.signed.Store(cp.Size)
	if signed {
		c.log.Info().Uint64("tree_size", cp.Size).Uint64("checkpoint", cp.Index).Str("note", string(cp.Note)).
			Msg("evidence: signed checkpoint")
	}
	// anchors.Failed reports each failure; the loop retries while the
	// checkpoint is recent enough for a timestamp to prove its time.
	c.anchorRetry.Store(c.anchors.Run(ctx, c.st) != nil)
	return cp.Note, nil
}

func (c *checkpointer) signLogged() {
	if _, err := c.Sign(context.Background()); err != nil && !errors.Is(err, evidence.ErrEmptyLog) {
		c.log.Error().Err(err).Msg("evidence: could not sign a checkpoint")
	}
}

// Close stops the loop and signs the last checkpoint. Call it once the
// proxy has drained, so that the checkpoint covers every exchange.
func (c *checkpointer) Close() error {
	close(c.stop)
	if c.done != nil {
		<-c.done
	}
	// A TSA or witness that hangs must not hold up the shutdown for long:
	// what they miss now, the next start anchors.
	ctx, cancel := context.WithTimeout(context.Background(), shutdownAnchorTimeout)
	defer cancel()
	if _, err := c.Sign(ctx); err != nil && !errors.Is(err, evidence.ErrEmptyLog) {
		c.log.Error().Err(err).Msg("evidence: could not sign the shutdown checkpoint")
		return err
	}
	return nil
}

// logPub is the log's verifier key, from DATA/ca/log.pub.
func logPub(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "ca", "log.pub"))
	if err != nil {
		return "", configErr(fmt.Errorf("no log key: %w; pass --key with the log.pub line you recorded", err))
	}
	return strings.TrimSpace(string(b)), nil
}
