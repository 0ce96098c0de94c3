package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
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

// anchorer gives signed checkpoints their anchors outside the key holder
// (evidence/anchors.go): a timestamp from evidence.tsa_url and a copy at
// evidence.witness_url. Failures go to failed, and the checkpoints wait
// for the next round.
type anchorer struct {
	tsa     *evidence.TSA     // nil: no TSA configured
	witness *evidence.Witness // nil: no witness configured
	key     string            // the log's verifier key, for the witness
	// failed reports a failed round of one kind (store.AnchorTimestamp,
	// store.AnchorWitness); nil ignores it.
	failed func(kind string, err error)
}

// newAnchorer reads evidence.tsa_url, tsa_ca_file and witness_url.
func newAnchorer(ev configs.Evidence, key string) (*anchorer, error) {
	a := &anchorer{key: key}
	if ev.TSAURL != "" {
		a.tsa = &evidence.TSA{URL: ev.TSAURL}
		if ev.TSACAFile != "" {
			roots, err := readTSARoots(ev.TSACAFile)
			if err != nil {
				return nil, usage(fmt.Errorf("evidence.tsa_ca_file: %w", err))
			}
			a.tsa.Roots = roots
		}
	}
	if ev.WitnessURL != "" {
		a.witness = &evidence.Witness{URL: ev.WitnessURL}
	}
	return a, nil
}

// readTSARoots reads a PEM file of TSA roots.
func readTSARoots(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return evidence.ParseTSARoots(b)
}

// run timestamps the checkpoints that lack a timestamp, then sends those
// the witness has not taken. It returns the first error of each kind,
// joined, after reporting each to failed.
func (a *anchorer) run(ctx context.Context, st *store.Store) error {
	if a == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, anchorTimeout)
	defer cancel()
	var errs []error
	if a.tsa != nil {
		if _, err := evidence.StampCheckpoints(ctx, st, a.tsa, 0); err != nil {
			errs = append(errs, a.fail(store.AnchorTimestamp, err))
		}
	}
	if a.witness != nil {
		if _, err := evidence.SendCheckpoints(ctx, st, a.witness, a.key, 0); err != nil {
			errs = append(errs, a.fail(store.AnchorWitness, err))
		}
	}
	return errors.Join(errs...)
}

func (a *anchorer) fail(kind string, err error) error {
	if a.failed != nil {
		a.failed(kind, err)
	}
	return err
}

// openAnchors gives serve's checkpointer its anchors: each failure is a
// warn line, a metric (telltale_anchor_failures_total) and an alert.
func (s *Server) openAnchors() error {
	key, err := logKey(s.cfg.DataDir, "")
	if err != nil {
		return err
	}
	a, err := newAnchorer(s.cfg.Evidence, key)
	if err != nil {
		return err
	}
	log := s.log.With().Str("component", "evidence").Logger()
	a.failed = func(kind string, err error) {
		log.Warn().Err(err).Str("anchor", kind).
			Msg("evidence: could not anchor a checkpoint outside this machine; retrying at the next checkpoint interval")
		s.ops.Metrics.AnchorFailed(kind)
		s.ops.Alerts.AnchorFailed(kind, err)
	}
	s.ckpt.anchors = a
	return nil
}

// tsaRoots are evidence.tsa_ca_file's roots, or nil.
func (a *anchorer) tsaRoots() *x509.CertPool {
	if a == nil || a.tsa == nil {
		return nil
	}
	return a.tsa.Roots
}

// anchorNow anchors the checkpoints after `telltale checkpoint` signed:
// timestamps (evidence.tsa_url) and, with send, the witness posts
// (evidence.witness_url). When serve holds the store it has anchored them
// with its own config already; send then posts the latest checkpoint,
// read from a snapshot. A TSA failure is a warning (the checkpoint is
// signed; the next run retries); a witness failure is the error.
func anchorNow(errOut io.Writer, dir string, ev configs.Evidence, send bool) error {
	key, err := logKey(dir, "")
	if err != nil {
		return err
	}
	a, err := newAnchorer(ev, key)
	if err != nil {
		return err
	}
	if !send {
		a.witness = nil
	}
	st, err := store.Open(dir, store.Options{Timeout: 200 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		if !send {
			return nil
		}
		return sendLatest(errOut, dir, a)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	var witnessErr error
	a.failed = func(kind string, err error) {
		if kind == store.AnchorWitness {
			witnessErr = err
			return
		}
		fmt.Fprintf(errOut, "telltale: warning: %v; the checkpoint is signed, run `telltale checkpoint` again to retry\n", err)
	}
	a.run(context.Background(), st) //nolint:errcheck // a.failed has them
	if err := reportAnchors(errOut, st, a); err != nil {
		return err
	}
	return witnessErr
}

// reportAnchors says on stderr what anchors the latest checkpoint has.
func reportAnchors(errOut io.Writer, st *store.Store, a *anchorer) error {
	cp, err := st.LatestCheckpoint()
	if err != nil {
		return err
	}
	if a.tsa != nil {
		tsrs, err := st.Anchors(store.AnchorTimestamp)
		if err != nil {
			return err
		}
		if tsr, ok := tsrs[cp.Index]; ok {
			if s, err := evidence.CheckTimestamp(tsr, cp.Note, a.tsa.Roots); err == nil {
				fmt.Fprintf(errOut, "telltale: checkpoint %d timestamped by %s at %s\n", cp.Index, s.TSA, s.Time.Format(time.RFC3339))
			}
		}
	}
	if a.witness != nil {
		sent, err := st.Anchors(store.AnchorWitness)
		if err != nil {
			return err
		}
		if _, ok := sent[cp.Index]; ok {
			fmt.Fprintf(errOut, "telltale: checkpoint %d sent to %s\n", cp.Index, hostOf(a.witness.URL))
		}
	}
	return nil
}

// sendLatest posts the latest checkpoint, with its timestamp, from a
// snapshot of the store that serve holds.
func sendLatest(errOut io.Writer, dir string, a *anchorer) error {
	st, closeLog, err := openLog(dir)
	if err != nil {
		return err
	}
	defer closeLog()
	cp, err := st.LatestCheckpoint()
	if err != nil {
		return err
	}
	tsrs, err := st.Anchors(store.AnchorTimestamp)
	if err != nil {
		return err
	}
	p, err := evidence.NewWitnessPost(cp, tsrs[cp.Index], a.key)
	if err != nil {
		return err
	}
	if _, err := a.witness.Send(context.Background(), p); err != nil {
		return err
	}
	fmt.Fprintf(errOut, "telltale: checkpoint %d sent to %s\n", cp.Index, hostOf(a.witness.URL))
	return nil
}

// tsaCAFlag reads verify --tsa-ca; "" means no TSA roots.
func tsaCAFlag(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	roots, err := readTSARoots(path)
	if err != nil {
		return nil, usage(fmt.Errorf("--tsa-ca: %w", err))
	}
	return roots, nil
}

// printTimestamps is verify's line about a store's checkpoint timestamps;
// nothing when there are none (no evidence.tsa_url).
func printTimestamps(w io.Writer, a evidence.AnchorReport, checkpoints int) {
	if len(a.Timestamps) == 0 {
		return
	}
	last := a.Timestamps[len(a.Timestamps)-1]
	fmt.Fprintf(w, "  timestamps  %d of %d checkpoints, the latest (checkpoint %d) at %s by %s; %s\n",
		len(a.Timestamps), checkpoints, last.Checkpoint, last.Time.Format(time.RFC3339), last.TSA, trustWords(a))
}

func trustWords(a evidence.AnchorReport) string {
	if a.Trusted() {
		return "TSA trusted (--tsa-ca)"
	}
	return "timestamp present, TSA not trusted (pass --tsa-ca)"
}

// printBundleAnchors says which anchors a bundle carries and what its
// index proves about completeness.
func printBundleAnchors(w io.Writer, r *evidence.BundleReport) {
	a := r.Anchors
	if len(a.Timestamps) == 0 {
		fmt.Fprintf(w, "  anchors     none: the checkpoints are signed by the log key only\n")
	} else {
		t := a.Timestamps[len(a.Timestamps)-1]
		fmt.Fprintf(w, "  anchors     %d RFC 3161 timestamps; %s: checkpoint %d at %s by %s; %s\n", len(a.Timestamps),
			t.File, t.Checkpoint, t.Time.Format(time.RFC3339), t.TSA, trustWords(a))
	}
	if a.Completeness != "" {
		fmt.Fprintf(w, "  complete    %s\n", a.Completeness)
	}
}

// anchorExport timestamps the checkpoints export is about to prove
// against, when the config names a TSA: a checkpoint signed just now has
// none yet. A TSA failure is a warning; the bundle is still written.
func anchorExport(errOut io.Writer, dir, config string) error {
	cfg, err := loadConfig(config)
	if err != nil || cfg.Evidence.TSAURL == "" {
		return err
	}
	return anchorNow(errOut, dir, cfg.Evidence, false)
}
