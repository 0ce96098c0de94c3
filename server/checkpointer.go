package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/store"
)

// checkpointer signs checkpoints of the log for serve: at start (the log
// may have grown while serve was down), every evidence.checkpoint_interval,
// when asked (POST /api/checkpoint) and at shutdown, after the proxy has
// drained. Each new checkpoint is logged in full at info level, so that
// copies exist outside the machine to witness the log.
type checkpointer struct {
	st       *store.Store
	index    *evidence.IndexCache // the capture index, extended at each checkpoint
	signer   note.Signer
	interval time.Duration
	log      zerolog.Logger
	now      func() time.Time
	// anchors timestamps and sends each checkpoint (anchors.go); nil or
	// empty when evidence.tsa_url and witness_url are not set.
	anchors *Anchorer

	mu sync.Mutex // one signing at a time

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
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				c.signLogged()
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
	if signed {
		c.log.Info().Uint64("tree_size", cp.Size).Uint64("checkpoint", cp.Index).Str("note", string(cp.Note)).
			Msg("evidence: signed checkpoint")
	}
	c.anchors.Run(ctx, c.st) //nolint:errcheck // anchors.Failed reports each failure
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
