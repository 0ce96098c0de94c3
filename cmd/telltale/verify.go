package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/evidence"
)

func newVerifyCmd() *cobra.Command {
	var data, key, tsaCA string
	cmd := &cobra.Command{
		Use:   "verify [FILE.zip]",
		Short: "Check the whole evidence log, or an exported bundle, for any change",
		Long: `Without a file, check the store in --data: every record against its leaf
in the Merkle log, every body against its SHA-256, every tree hash, every
signed checkpoint and their consistency. With a bundle from ` + "`telltale export`" + `,
check it offline: its files, signatures, inclusion proofs and bodies.
Exit 0: everything checks. Exit 1: every failure is listed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			roots, err := tsaCAFlag(tsaCA)
			if err != nil {
				return err
			}
			if len(args) == 1 {
				return verifyBundle(cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], key, roots)
			}
			return verifyStore(cmd.OutOrStdout(), cmd.ErrOrStderr(), data, key, roots)
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", defaultDataDir, "data dir")
	f.StringVar(&tsaCA, "tsa-ca", "", "PEM roots the checkpoint timestamps' TSA must chain to; without it, timestamps are checked but the TSA is not trusted")
	f.StringVar(&key, "key", "", "the log's verifier key (the log.pub line you recorded, or a file holding it); default: DATA/ca/log.pub, or the bundle's own")
	return cmd
}

func verifyStore(out, errOut io.Writer, dir, keyFlag string, roots *x509.CertPool) error {
	if err := needStore(dir); err != nil {
		return err
	}
	key, err := logKey(dir, keyFlag)
	if err != nil {
		return err
	}
	v, _ := evidence.ParseKey(key)
	st, closeLog, err := openLog(dir)
	if err != nil {
		return err
	}
	defer closeLog()
	rep, err := evidence.Verify(st, evidence.VerifyOptions{Verifier: v, TSARoots: roots})
	if err != nil {
		return err
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(errOut, "telltale: note: %s\n", n)
	}
	warnUnanswered(errOut, rep.Warnings)
	if !rep.OK() {
		return failed(out, rep.Failures, "the log was changed after it was written: keep the data dir as it is, "+
			"and compare with a backup and with the checkpoints you kept")
	}
	latest := "no signed checkpoint yet"
	if rep.Latest != nil {
		latest = fmt.Sprintf("%d checkpoints consistent, the latest covers %d records (signed %s)",
			rep.Checkpoints, rep.Latest.Size, rep.Latest.Time.UTC().Format("2006-01-02T15:04:05Z"))
	}
	fmt.Fprintf(out, "ok: tree size %d, root hash %s; %s\n", rep.Size, rep.Root, latest)
	printTimestamps(out, rep.Anchors, rep.Checkpoints)
	return nil
}

// failed lists every failure and returns the error that ends the command.
func failed(out io.Writer, fs []evidence.Finding, what string) error {
	for _, f := range fs {
		fmt.Fprintf(out, "FAIL %s\n", f)
	}
	return fmt.Errorf("verification failed: %d problems, listed above; %s", len(fs), what)
}

func verifyBundle(out, errOut io.Writer, path, keyFlag string, roots *x509.CertPool) error {
	var key string
	if keyFlag != "" {
		var err error
		if key, err = logKey("", keyFlag); err != nil {
			return err
		}
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
	rep, err := evidence.VerifyBundle(f, fi.Size(), evidence.BundleOptions{Key: key, TSARoots: roots})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !rep.OK() {
		return failed(out, rep.Failures, "do not rely on this bundle; ask for a new export, and check it with the key you recorded (--key)")
	}
	printBundle(out, path, rep)
	if !rep.KeyPinned {
		fmt.Fprintf(errOut, "telltale: note: checked with the key inside the bundle, which shows it is intact, not who made it: "+
			"pin the key you recorded with --key %q\n", rep.Key)
	}
	return nil
}

func printBundle(w io.Writer, path string, r *evidence.BundleReport) {
	m, ck := r.Manifest, r.Checkpoint
	fmt.Fprintf(w, "ok: %s verifies\n", path)
	src := "from the bundle"
	if r.KeyPinned {
		src = "pinned with --key"
	}
	fmt.Fprintf(w, "  key         %s (%s), %s\n", r.Key, r.Fingerprint, src)
	fmt.Fprintf(w, "  checkpoint  tree size %d, root hash %s, signed %s\n", ck.Size, ck.Root, ck.Time.UTC().Format("2006-01-02T15:04:05Z"))
	whole := ""
	if r.Complete {
		whole = "; every record of the log up to the checkpoint"
	}
	fmt.Fprintf(w, "  captures    %d (%d records), each proven in the log by its inclusion proof%s\n", r.Captures, r.Records, whole)
	fmt.Fprintf(w, "  bodies      %d, each matching its leaf\n", r.Bodies)
	fmt.Fprintf(w, "  earlier     %d checkpoints, each extended by this one\n", r.Earlier)
	printBundleAnchors(w, r)
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
