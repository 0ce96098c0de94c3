package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

// The CLI's side of the checkpoint anchors (server/anchors.go has the
// Anchorer): `telltale checkpoint` anchoring and sending, and what verify
// and export print about them.

// anchorNow anchors the checkpoints after `telltale checkpoint` signed:
// timestamps (evidence.tsa_url) and, with send, the witness posts
// (evidence.witness_url). When serve holds the store it has anchored them
// with its own config already; send then posts the latest checkpoint,
// read from a snapshot. A TSA failure is a warning (the checkpoint is
// signed; the next run retries); a witness failure is the error.
func anchorNow(errOut io.Writer, dir string, cfg *configs.Config, send bool) error {
	key, err := logKey(dir, "")
	if err != nil {
		return err
	}
	a, err := server.NewAnchorer(cfg.Evidence, key, server.OutboundClient(cfg, dir))
	if err != nil {
		return err
	}
	if !send {
		a.Witness = nil
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
	a.Failed = func(kind string, err error) {
		// A witness that refused a fork has said the log was rewritten:
		// that is the command's failure, not something to retry.
		if kind == store.AnchorWitness || errors.Is(err, evidence.ErrForked) {
			witnessErr = err
			return
		}
		fmt.Fprintf(errOut, "telltale: warning: %v; the checkpoint is signed, run `telltale checkpoint` again to retry\n", err)
	}
	a.Run(context.Background(), st) //nolint:errcheck // a.Failed has them
	if err := reportAnchors(errOut, st, a); err != nil {
		return err
	}
	return witnessErr
}

// reportAnchors says on stderr what anchors the latest checkpoint has.
func reportAnchors(errOut io.Writer, st *store.Store, a *server.Anchorer) error {
	cp, err := st.LatestCheckpoint()
	if err != nil {
		return err
	}
	if a.TSA != nil {
		tsrs, err := st.Anchors(store.AnchorTimestamp)
		if err != nil {
			return err
		}
		if tsr, ok := tsrs[cp.Index]; ok {
			if s, err := evidence.CheckTimestamp(tsr, cp.Note, a.TSA.Roots); err == nil {
				fmt.Fprintf(errOut, "telltale: checkpoint %d timestamped by %s at %s\n", cp.Index, s.TSA, s.Time.Format(time.RFC3339))
			}
		}
	}
	if a.Witness != nil {
		sent, err := st.Anchors(store.AnchorWitness)
		if err != nil {
			return err
		}
		if _, ok := sent[cp.Index]; ok {
			fmt.Fprintf(errOut, "telltale: checkpoint %d sent to %s\n", cp.Index, hostOf(a.Witness.URL))
		}
	}
	if len(a.Cosigners) > 0 {
		cos, err := st.Anchors(store.AnchorCosignatures)
		if err != nil {
			return err
		}
		if lines := cos[cp.Index]; len(lines) > 0 {
			fmt.Fprintf(errOut, "telltale: checkpoint %d cosigned: %d witness lines (verify --witness KEY checks them)\n",
				cp.Index, bytes.Count(lines, []byte("\n")))
		}
	}
	return nil
}

// sendLatest posts the latest checkpoint, with its timestamp, from a
// snapshot of the store that serve holds.
func sendLatest(errOut io.Writer, dir string, a *server.Anchorer) error {
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
	p, err := evidence.NewWitnessPost(cp, tsrs[cp.Index], a.Key)
	if err != nil {
		return err
	}
	if _, err := a.Witness.Send(context.Background(), p); err != nil {
		return err
	}
	fmt.Fprintf(errOut, "telltale: checkpoint %d sent to %s\n", cp.Index, hostOf(a.Witness.URL))
	return nil
}

// tsaCAFlag reads verify --tsa-ca; "" means no TSA roots.
func tsaCAFlag(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	roots, err := server.ReadTSARoots(path)
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
	fmt.Fprintf(w, "  timestamps  %d of %d checkpoints, each within --max-lag of its time; the latest (checkpoint %d) %s; %s\n",
		len(a.Timestamps), checkpoints, last.Checkpoint, last.ProvenBy(), trustWords(a))
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
		fmt.Fprintf(w, "  anchors     %d RFC 3161 timestamps; %s: checkpoint %d %s, within --max-lag of its time; %s\n",
			len(a.Timestamps), t.File, t.Checkpoint, t.ProvenBy(), trustWords(a))
	}
	if a.Completeness != "" {
		fmt.Fprintf(w, "  complete    %s\n", a.Completeness)
	}
	if a.IndexLeaf != "" {
		fmt.Fprintf(w, "  index       %s\n", a.IndexLeaf)
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
	return anchorNow(errOut, dir, cfg, false)
}

// hostOf is the host of a URL, for a line that should not show a path
// that may hold a token.
func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return p.Host
	}
	return u
}
