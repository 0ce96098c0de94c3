package server

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/store"
)

// anchorTimeout bounds one round of timestamping and witness posts, so
// that a hanging TSA or witness delays only the next round (never
// capture: anchoring runs on the checkpointer's goroutine).
const anchorTimeout = 30 * time.Second

// shutdownAnchorTimeout bounds the anchoring of serve's last checkpoint.
const shutdownAnchorTimeout = 5 * time.Second

// Anchorer gives signed checkpoints their anchors outside the key holder
// (evidence/anchors.go): a timestamp from evidence.tsa_url and a copy at
// evidence.witness_url. Failures go to Failed, and the checkpoints wait
// for the next round.
type Anchorer struct {
	TSA     *evidence.TSA     // nil: no TSA configured
	Witness *evidence.Witness // nil: no witness configured
	Key     string            // the log's verifier key, for the witness
	// Failed reports a failed round of one kind (store.AnchorTimestamp,
	// store.AnchorWitness); nil ignores it.
	Failed func(kind string, err error)
	// Cosigners are the C2SP witnesses (evidence.witnesses) asked to
	// cosign each new checkpoint (witnesses.go).
	Cosigners []*evidence.Cosigner
	// Now says which checkpoints are recent enough for a timestamp to
	// prove their time (evidence.StampWindow); nil means time.Now.
	Now func() time.Time
}

// NewAnchorer reads evidence.tsa_url, tsa_ca_file, witness_url and
// witnesses; client makes the requests (serve's guarded one, or
// OutboundClient's).
func NewAnchorer(ev configs.Evidence, key string, client *http.Client) (*Anchorer, error) {
	a := &Anchorer{Key: key}
	if ev.TSAURL != "" {
		a.TSA = &evidence.TSA{URL: ev.TSAURL, Client: client}
		if ev.TSACAFile != "" {
			roots, err := ReadTSARoots(ev.TSACAFile)
			if err != nil {
				return nil, configErr(fmt.Errorf("evidence.tsa_ca_file: %w", err))
			}
			a.TSA.Roots = roots
		}
	}
	if ev.WitnessURL != "" {
		a.Witness = &evidence.Witness{URL: ev.WitnessURL, Client: client}
	}
	if err := openWitnesses(a, ev, client); err != nil {
		return nil, err
	}
	return a, nil
}

// ReadTSARoots reads a PEM file of TSA roots.
func ReadTSARoots(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return evidence.ParseTSARoots(b)
}

// Run timestamps the recent checkpoints that lack a timestamp, sends
// those the witness has not taken, and has the latest cosigned by each
// C2SP witness. It returns the first error of each kind,
// joined, after reporting each to Failed.
func (a *Anchorer) Run(ctx context.Context, st *store.Store) error {
	if a == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, anchorTimeout)
	defer cancel()
	var errs []error
	if a.TSA != nil {
		if _, err := evidence.StampCheckpointsSince(ctx, st, a.TSA, a.now().Add(-evidence.StampWindow), 0); err != nil {
			errs = append(errs, a.fail(store.AnchorTimestamp, err))
		}
	}
	if a.Witness != nil {
		if _, err := evidence.SendCheckpoints(ctx, st, a.Witness, a.Key, 0); err != nil {
			errs = append(errs, a.fail(store.AnchorWitness, err))
		}
	}
	errs = append(errs, a.cosign(ctx, st)...)
	return errors.Join(errs...)
}

func (a *Anchorer) fail(kind string, err error) error {
	if a.Failed != nil {
		a.Failed(kind, err)
	}
	return err
}

// openAnchors gives serve's checkpointer its anchors: each failure is a
// warn line, a metric (telltale_anchor_failures_total) and an alert.
func (s *Server) openAnchors() error {
	key, err := logPub(s.cfg.DataDir)
	if err != nil {
		return err
	}
	a, err := NewAnchorer(s.cfg.Evidence, key, s.guard.Client(outboundTimeout))
	if err != nil {
		return err
	}
	log := s.log.With().Str("component", "evidence").Logger()
	a.Failed = func(kind string, err error) {
		log.Warn().Err(err).Str("anchor", kind).
			Msg("evidence: could not anchor a checkpoint outside this machine; retrying at the next checkpoint interval")
		s.ops.Metrics.AnchorFailed(kind)
		s.ops.Alerts.AnchorFailed(kind, err)
	}
	s.ckpt.anchors = a
	s.ckpt.debounce = time.Duration(s.cfg.Evidence.CheckpointDebounce)
	return nil
}

// tsaRoots are evidence.tsa_ca_file's roots, or nil.
func (a *Anchorer) tsaRoots() *x509.CertPool {
	if a == nil || a.TSA == nil {
		return nil
	}
	return a.TSA.Roots
}
