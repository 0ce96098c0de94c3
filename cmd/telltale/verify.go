package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/evidence"
)

// verifyFlags are verify's trust inputs.
type verifyFlags struct {
	data, config string
	keys         []string      // --key: trusted log keys, lines or files
	witnesses    []string      // --witness: keys whose cosignatures are accepted
	earlier      []string      // --earlier: files of checkpoints kept elsewhere
	tsaCA        string        // --tsa-ca: PEM roots for the checkpoints' timestamps
	maxLag       time.Duration // --max-lag: how far a timestamp may be from its checkpoint's time
}

func newVerifyCmd() *cobra.Command {
	var fl verifyFlags
	cmd := &cobra.Command{
		Use:   "verify [FILE.zip]",
		Short: "Check the whole evidence log, or an exported bundle, for any change",
		Long: `Without a file, check the store in --data: every record against its leaf
in the Merkle log, every body against its SHA-256, every tree hash, every
signed checkpoint and their consistency. With a bundle from ` + "`telltale export`" + `,
check it offline against the key you recorded (--key, or
evidence.trusted_keys in -c FILE): its files, signatures, inclusion proofs
and bodies. --earlier FILE proves a checkpoint you kept elsewhere (the
server's log, a ticket, an e-mail) consistent with the log, or reports it
FORKED. Exit 0: everything checks. Exit 1: every failure is listed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			roots, err := tsaCAFlag(fl.tsaCA)
			if err != nil {
				return err
			}
			if len(args) == 1 {
				return verifyBundle(cmd, args[0], fl, roots)
			}
			return verifyStore(cmd.OutOrStdout(), cmd.ErrOrStderr(), fl, roots)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.data, "data", defaultDataDir, "data dir")
	f.StringVarP(&fl.config, "config", "c", "", "config file, for evidence.trusted_keys")
	f.StringArrayVar(&fl.keys, "key", nil, "the log's verifier key you recorded (the log.pub line, or a file holding it); repeatable; "+
		"a bundle needs one (or evidence.trusted_keys); default for --data: DATA/ca/log.pub")
	f.StringArrayVar(&fl.witnesses, "witness", nil, "a witness's verifier key (cosignature/v1, as the witness prints it), or a file holding it: "+
		"its cosignatures are checked and counted, and at least one checkpoint must carry one; repeatable")
	f.StringArrayVar(&fl.earlier, "earlier", nil, "a signed checkpoint kept elsewhere, to prove the log extends it; repeatable")
	f.StringVar(&fl.tsaCA, "tsa-ca", "", "PEM roots the checkpoint timestamps' TSA must chain to; without it, timestamps are checked but the TSA is not trusted")
	f.DurationVar(&fl.maxLag, "max-lag", evidence.DefaultMaxLag, "fail a timestamp made longer than this after (or before) the time its checkpoint claims: "+
		"the checkpoint may have been signed later, over a rewritten log; 0 does not compare")
	return cmd
}

func verifyStore(out, errOut io.Writer, fl verifyFlags, roots *x509.CertPool) error {
	dir := fl.data
	if err := needStore(dir); err != nil {
		return err
	}
	key, err := logKey(dir, firstOr(fl.keys, ""))
	if err != nil {
		return err
	}
	earlier, err := readKept(fl.earlier)
	if err != nil {
		return err
	}
	v, _ := evidence.ParseKey(key)
	witnesses, err := witnessKeys(fl.witnesses)
	if err != nil {
		return err
	}
	st, closeLog, err := openLog(dir)
	if err != nil {
		return err
	}
	defer closeLog()
	size, _ := st.Size()
	b := newBar(errOut, -1, fmt.Sprintf("verify: every record, hash and checkpoint of a log of %d records", size), "", false)
	rep, err := evidence.Verify(st, evidence.VerifyOptions{Verifier: v, Earlier: earlier, TSARoots: roots, MaxLag: fl.maxLag, Witnesses: witnesses})
	b.end(err == nil)
	if err != nil {
		return err
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(errOut, "telltale: note: %s\n", n)
	}
	warnUnanswered(errOut, rep.Warnings)
	warnLost(errOut, rep.Lost)
	if !rep.OK() {
		return failed(out, rep.Failures, "the log was changed after it was written: keep the data dir as it is, "+
			"and compare with a backup and with the checkpoints you kept")
	}
	latest := "no signed checkpoint yet"
	if rep.Latest != nil {
		latest = fmt.Sprintf("%d checkpoints consistent, the latest covers %d records (signed %s)",
			rep.Checkpoints, rep.Latest.Size, rep.Latest.Time.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if rep.Kept > 0 {
		latest += fmt.Sprintf("; %d kept checkpoints (--earlier) extended by the log", rep.Kept)
	}
	if len(rep.Lost) > 0 {
		latest += fmt.Sprintf("; %d records lost from the write-ahead log (see the warning)", len(rep.Lost))
	}
	fmt.Fprintf(out, "ok: tree size %d, root hash %s; %s\n", rep.Size, rep.Root, latest)
	printTimestamps(out, rep.Anchors, rep.Checkpoints)
	if strings.Contains(rep.Anchors.IndexLeaf, "predate") {
		fmt.Fprintf(out, "  index       %s\n", rep.Anchors.IndexLeaf)
	}
	printCosigned(out, rep.Anchors, len(witnesses))
	return nil
}

func firstOr(ss []string, def string) string {
	if len(ss) > 0 {
		return ss[0]
	}
	return def
}

// maxKept is the largest --earlier file read: a signed checkpoint is a
// few hundred bytes.
const maxKept = 1 << 20

// readKept reads the --earlier files.
func readKept(files []string) ([]evidence.KeptCheckpoint, error) {
	var kept []evidence.KeptCheckpoint
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, usage(fmt.Errorf("--earlier: %w", err))
		}
		b, err := io.ReadAll(io.LimitReader(f, maxKept))
		f.Close()
		if err != nil {
			return nil, usage(fmt.Errorf("--earlier: %w", err))
		}
		kept = append(kept, evidence.KeptCheckpoint{Name: name, Note: b})
	}
	return kept, nil
}

// failed lists every failure and returns the error that ends the command.
func failed(out io.Writer, fs []evidence.Finding, what string) error {
	for _, f := range fs {
		fmt.Fprintf(out, "FAIL %s\n", f)
	}
	return fmt.Errorf("verification failed: %d problems, listed above; %s", len(fs), what)
}

func verifyBundle(cmd *cobra.Command, path string, fl verifyFlags, roots *x509.CertPool) error {
	opts, err := bundleOptions(fl)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return usage(fmt.Errorf("bundle: %w", err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	opts.TSARoots, opts.MaxLag = roots, fl.maxLag
	b := newBar(cmd.ErrOrStderr(), fi.Size(), "verify: reading "+filepath.Base(path), "", true)
	rep, err := evidence.VerifyBundle(cmd.Context(), b.readerAt(f, fi.Size()), fi.Size(), opts)
	b.end(err == nil)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: verification interrupted: the bundle was not fully checked", path)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var derived string
	if rep.OK() {
		if derived, err = rederived(cmd.Context(), path); err != nil {
			rep.Failures = append(rep.Failures, evidence.Finding{Msg: err.Error()})
		}
	}
	if !rep.OK() {
		return failed(cmd.OutOrStdout(), rep.Failures, "do not rely on this bundle; ask for a new export, and check it with the key you recorded (--key)")
	}
	printBundle(cmd.OutOrStdout(), path, rep)
	if derived != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "  derived     %s\n", derived)
	}
	return nil
}

// bundleOptions gathers the trusted keys (--key, then
// evidence.trusted_keys), the witnesses and the kept checkpoints.
func bundleOptions(fl verifyFlags) (evidence.BundleOptions, error) {
	var opts evidence.BundleOptions
	cfg, err := loadConfig(fl.config)
	if err != nil {
		return opts, err
	}
	for _, k := range append(slices.Clone(fl.keys), cfg.Evidence.TrustedKeys...) {
		key, err := logKey("", k)
		if err != nil {
			return opts, err
		}
		opts.Keys = append(opts.Keys, key)
	}
	if opts.Witnesses, err = witnessKeys(fl.witnesses); err != nil {
		return opts, err
	}
	opts.Earlier, err = readKept(fl.earlier)
	return opts, err
}

func printBundle(w io.Writer, path string, r *evidence.BundleReport) {
	m, ck := r.Manifest, r.Checkpoint
	fmt.Fprintf(w, "ok: %s verifies\n", path)
	fmt.Fprintf(w, "  key         %s (%s), the one you trust\n", r.Key, r.Fingerprint)
	fmt.Fprintf(w, "  checkpoint  tree size %d, root hash %s, signed %s\n", ck.Size, ck.Root, ck.Time.UTC().Format("2006-01-02T15:04:05Z"))
	whole := ""
	if r.Complete {
		whole = "; every record of the log up to the checkpoint"
	}
	fmt.Fprintf(w, "  captures    %d (%d records), each proven in the log by its inclusion proof%s\n", r.Captures, r.Records, whole)
	fmt.Fprintf(w, "  bodies      %d, each matching its leaf\n", r.Bodies)
	fmt.Fprintf(w, "  earlier     %d checkpoints, each extended by this one\n", r.Earlier)
	if r.Kept > 0 {
		fmt.Fprintf(w, "  kept        %d checkpoints you kept (--earlier), each extended by this one\n", r.Kept)
	}
	printBundleAnchors(w, r)
	printCosigned(w, r.Anchors, r.Witnesses)
	if len(r.Withheld) > 0 {
		reasons := map[string]int{}
		var order []string
		for _, wh := range r.Withheld {
			reason, _, _ := strings.Cut(wh.Reason, ":")
			if reasons[reason] == 0 {
				order = append(order, reason)
			}
			reasons[reason]++
		}
		var parts []string
		for _, r := range order {
			parts = append(parts, fmt.Sprintf("%d %s", reasons[r], r))
		}
		fmt.Fprintf(w, "  withheld    %d parts (%s), listed in manifest.json; their hashes are proven\n", len(r.Withheld), strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "  files       %d, all in the signed manifest (exported %s by %s)\n", r.Files, m.ExportedAt, m.Tool)
}
