package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

type exportFlags struct {
	out, data, config, host string
	endpoint                string
	times                   timeRange
	ids                     []string
	redact, noRedact        bool
	redactSet               bool // --redact was given
	measured, tolerance     string
	pseudonymise            bool
	maps                    []string
}

func newExportCmd() *cobra.Command {
	var fl exportFlags
	cmd := &cobra.Command{
		Use:   "export -o FILE.zip",
		Short: "Write a bundle of captures that anyone can verify offline (telltale verify FILE.zip)",
		Long: `Write a zip bundle of the selected captures (all by default) with the
proof that each is in the evidence log: the signed checkpoint of the whole
log, each record's inclusion proof, the raw bodies, the same exchanges as
HAR 1.2 and CSV, and a README for checking by hand. A checkpoint is
signed first if the log grew. Secrets (evidence.redact_* in the config)
are withheld by default, each listed, and everything else is still
proven; --no-redact keeps them in the bundle, with a warning.

The bundle's report.html puts the license position first, as a one-page
summary. --measured FILE (as telltale reconcile reads it: the Licensing
Manager's Historical Use export, recognised from its header, or date,
figure name, value; --map for another layout) puts your measurement into
the bundle as measured.csv and the reconciliation of it against the
reported figures into manifest.json, both signed, and into the report.

--pseudonymise withholds every identifier of a user or device (as the
personal-data page finds them, in every layer): each body that carries
one ships as a copy of its decoded fields with each identifier replaced
by a stable pseudonym (the same in every bundle, from DATA/ca/pseudonym.key)
and the manifest lists each pseudonym with a salted commitment to its
identifier. Counts of people and devices and the position stay
checkable; only the key's holder can say who a pseudonym is.`,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExport(cmd, fl) },
	}
	f := cmd.Flags()
	f.StringVarP(&fl.out, "output", "o", "", "the bundle to write (required)")
	f.StringVar(&fl.data, "data", defaultDataDir, "data dir")
	f.StringVarP(&fl.config, "config", "c", "", "config file, for evidence.redact_fields, redact_headers and tsa_url; default: the embedded one")
	f.StringVar(&fl.host, "host", "", "only captures of this host")
	f.StringVar(&fl.endpoint, "endpoint", "", `only requests to this endpoint, "METHOD HOST/PATH" (no query), e.g. "POST cis.citrix.com/api/upload"; not with --host`)
	fl.times.add(cmd, captureTime)
	f.StringSliceVar(&fl.ids, "id", nil, "only these captures (repeat, or comma-separated); not with --host/--since/--until")
	f.BoolVar(&fl.redact, "redact", true, "withhold secrets (Authorization, cookies, token and secret fields) and list them: the default")
	f.BoolVar(&fl.noRedact, "no-redact", false, "keep secrets in the bundle, as logged")
	f.BoolVar(&fl.pseudonymise, "pseudonymise", false, "withhold every user and device identifier, showing a stable pseudonym instead (salted commitments in the manifest)")
	f.StringVar(&fl.measured, "measured", "", "your measurement, reconciled in the bundle (as telltale reconcile reads it)")
	f.StringArrayVar(&fl.maps, "map", nil, "column mapping of --measured (as telltale reconcile --map)")
	f.StringVar(&fl.tolerance, "tolerance", "0", "allowed difference for --measured: a number (2) or a percentage (5%)")
	return cmd
}

func (fl exportFlags) options() (evidence.ExportOptions, error) {
	var o evidence.ExportOptions
	if fl.out == "" {
		return o, usage(errors.New("-o FILE.zip is required: where to write the bundle"))
	}
	if len(fl.ids) > 0 && (fl.host != "" || fl.endpoint != "" || fl.times.since != "" || fl.times.until != "") {
		return o, usage(errors.New("--id selects captures by id: use it without --host, --endpoint, --since and --until"))
	}
	if fl.endpoint != "" && fl.host != "" {
		return o, usage(errors.New("--endpoint names its host: use it without --host"))
	}
	if _, err := evidence.ParseEndpoint(fl.endpoint); fl.endpoint != "" && err != nil {
		return o, usage(err)
	}
	if fl.noRedact && fl.redactSet {
		return o, usage(errors.New("--redact and --no-redact: give one"))
	}
	o.Selection = evidence.Selection{Host: fl.host, Endpoint: fl.endpoint, IDs: fl.ids, Redact: !fl.noRedact && fl.redact}
	var err error
	if o.Since, o.Until, err = fl.times.parse(); err != nil {
		return o, err
	}
	if !o.Since.IsZero() {
		o.Selection.Since = storeTime(o.Since)
	}
	if !o.Until.IsZero() {
		o.Selection.Until = storeTime(o.Until)
	}
	if o.Selection.Redact {
		cfg, err := loadConfig(fl.config)
		if err != nil {
			return o, err
		}
		o.Redactor = evidence.Redactor{Fields: cfg.Evidence.RedactFields, Headers: cfg.Evidence.RedactHeaders}
	}
	if fl.pseudonymise {
		p, err := server.Pseudonymiser(fl.data)
		if err != nil {
			return o, err
		}
		o.Pseudonymise = p
	}
	o.Tool = server.ToolVersion()
	return o, nil
}

func runExport(cmd *cobra.Command, fl exportFlags) error {
	fl.redactSet = cmd.Flags().Changed("redact")
	opts, err := fl.options()
	if err != nil {
		return err
	}
	if !opts.Selection.Redact {
		fmt.Fprintln(cmd.ErrOrStderr(), "telltale: warning: --no-redact: the bundle holds every secret as logged "+
			"(Authorization headers, cookies, tokens, passwords); give it only to whom may see them")
	}
	if _, err := signNow(fl.data); err != nil && !errors.Is(err, evidence.ErrEmptyLog) {
		return fmt.Errorf("export: sign a checkpoint of the log first: %w", err)
	}
	if err := anchorExport(cmd.ErrOrStderr(), fl.data, fl.config); err != nil {
		return err
	}
	signer, vkey, _, err := certs.OpenSigner(filepath.Join(fl.data, "ca"), server.LogKeyName())
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	opts.Signer, opts.Key = signer, vkey
	st, closeLog, err := openLog(fl.data)
	if err != nil {
		return err
	}
	defer closeLog()
	closeReport, err := attachReport(&opts, st, fl)
	if err != nil {
		return err
	}
	defer closeReport()
	m, skipped, err := writeBundle(fl.out, st, opts, cmd.ErrOrStderr())
	if errors.Is(err, store.ErrNotFound) && len(fl.ids) > 0 {
		return fmt.Errorf("export: %w: `telltale list` shows the capture ids", err)
	}
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "wrote %s: %d captures (%d records), proven against the checkpoint of tree size %d, root hash %s\n",
		fl.out, m.Captures, m.Records, m.Checkpoint.TreeSize, m.Checkpoint.RootHash)
	if fl.measured != "" {
		fmt.Fprintf(w, "reconciled %s against the reported figures: in the bundle as %s, the result in manifest.json (signed)\n", fl.measured, evidence.FileMeasured)
	}
	if len(m.Pseudonyms) > 0 {
		fmt.Fprintf(w, "pseudonymised %d identifiers of users and devices (listed with salted commitments in manifest.json)\n", len(m.Pseudonyms))
		if n := unsealedPseudonymised(m.Withheld); n > 0 {
			fmt.Fprintf(w, "note: %d of the bodies that carry them were logged unsealed: their leaves hold each body's plain SHA-256, "+
				"so whoever can rebuild the rest of such a body from its copy can test a guessed identifier against it\n", n)
		}
	}
	if len(m.Withheld) > 0 {
		nums, _ := analysis.CaptureNumbers(st)
		fmt.Fprintf(w, "withheld %d parts (listed in manifest.json): %s\n", len(m.Withheld), withheldSummary(m.Withheld, nums))
	}
	if skipped > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "telltale: note: %d captures newer than the checkpoint were left out; export again to include them\n", skipped)
	}
	if m.Captures == 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "telltale: note: no capture matched the selection; the bundle proves only the checkpoint\n")
	}
	return nil
}

// writeBundle writes the bundle to a temporary file beside path and
// renames it into place, so that a failed export leaves no partial bundle.
// A terminal at progress sees the bytes written and their rate.
func writeBundle(path string, st *store.Store, opts evidence.ExportOptions, progress io.Writer) (*evidence.Manifest, int, error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".telltale-export-*.zip")
	if err != nil {
		return nil, 0, usage(fmt.Errorf("-o %s: %w", path, err))
	}
	defer os.Remove(f.Name()) // after a successful rename, there is nothing left to remove
	b := newBar(progress, -1, "export: writing "+filepath.Base(path), "", true)
	m, skipped, err := evidence.Export(b.writer(f), st, opts)
	b.end(err == nil)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return nil, 0, err
	}
	return m, skipped, nil
}

// unsealedPseudonymised counts the pseudonymised bodies whose leaves hold
// their plain hash.
func unsealedPseudonymised(ws []evidence.Withheld) int {
	n := 0
	for _, w := range ws {
		if strings.HasPrefix(w.Reason, evidence.ReasonPseudonymised) && strings.Contains(w.Reason, evidence.ReasonUnsealedHash) {
			n++
		}
	}
	return n
}

func withheldSummary(ws []evidence.Withheld, nums *analysis.Numbers) string {
	var parts []string
	for _, w := range ws {
		why, _, _ := strings.Cut(w.Reason, ":")
		why, _, _ = strings.Cut(why, ";")
		parts = append(parts, fmt.Sprintf("capture %s %s (%s)", captureName(nums, w.Capture, false), w.Part, why))
	}
	if len(parts) > 5 {
		parts = append(parts[:5], fmt.Sprintf("and %d more", len(parts)-5))
	}
	return strings.Join(parts, ", ")
}
