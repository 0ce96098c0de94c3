package server

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/inspect"
	"github.com/telltale/telltale/report"
)

// The hand-over report inside an evidence bundle, as the review UI's
// export and `telltale export` attach it.

// BundleReport is what a bundle's report adds to the config's rules.
// The zero value reports with the config's entitlements and no
// measurement.
type BundleReport struct {
	// Catalog names the license feature codes; nil means the config's.
	Catalog *analysis.Catalog
	// Entitlements are the contract's (the config's with those entered in
	// the review UI over them); nil means the config's alone.
	Entitlements []analysis.Entitlement
	// Measured is the buyer's measurement, read from MeasuredFile (named
	// MeasuredName, read as MeasuredFormat); nil leaves the
	// reconciliation out. The file goes into the bundle as measured.csv
	// and the reconciliation into its manifest, both signed.
	Measured       []analysis.Measurement
	MeasuredFile   []byte
	MeasuredName   string
	MeasuredFormat string
	Tolerance      analysis.Tolerance
	// MeasuredMap is the column mapping it was read with (export --map),
	// MeasuredKnown the license codes the log's figures named then: with
	// them licenses.json says how to read measured.csv again.
	MeasuredMap   []string
	MeasuredKnown []string
	// Licenses is the licenses section Catalog and Entitlements come
	// from; nil means the config's. Its parts go into licenses.json.
	Licenses *configs.Licenses
	// Numbers name the captures in the report by the numbers the list,
	// the CLI and the review UI show (the log's, not the bundle's); nil
	// names them by id.
	Numbers *analysis.Numbers
}

// ReportAttacher puts the hand-over report of a bundle's captures,
// figures.csv, and with a measurement measured.csv and the
// reconciliation, into the bundle (evidence.ExportOptions.Attach).
func ReportAttacher(src report.Source, cfg *configs.Config, b BundleReport) func(evidence.Attached) ([]evidence.Attachment, error) {
	return func(at evidence.Attached) ([]evidence.Attachment, error) {
		origin, _, _ := strings.Cut(string(at.Note), "\n")
		ck := &report.Checkpoint{TreeSize: at.Checkpoint.TreeSize, RootHash: at.Checkpoint.RootHash.String(),
			Time: at.Checkpoint.Time, Origin: origin, Key: at.Key, Fingerprint: evidence.Fingerprint(at.Key), Note: string(at.Note)}
		o := report.Options{
			Templates: analysis.Templates(cfg.Inspect.Templates), Scope: selectionText(at.Selection, len(at.Captures), at.Checkpoint.TreeSize),
			Checkpoint: ck, InBundle: true, Tool: ToolVersion(),
			Verify:   []string{fmt.Sprintf("telltale verify THIS-BUNDLE.zip --key %q", at.Key)},
			Measured: b.Measured, MeasuredName: evidence.FileMeasured, Tolerance: b.Tolerance, Numbers: b.Numbers,
		}
		if b.MeasuredName != "" && b.MeasuredName != evidence.FileMeasured {
			o.MeasuredName += ", given as " + b.MeasuredName
		}
		section := cfg.LicenseSection()
		if b.Licenses != nil {
			section = *b.Licenses
		}
		o.Catalog, o.Entitlements = Licenses(section)
		if b.Catalog != nil {
			o.Catalog = b.Catalog
		}
		if b.Entitlements != nil {
			o.Entitlements = b.Entitlements
		}
		from := src
		if len(at.Pseudonyms) > 0 {
			from = pseudonymSource{src, at.Pseudonyms}
		}
		r, err := report.Build(from, at.Captures, o)
		if err != nil {
			return nil, err
		}
		var page, figures bytes.Buffer
		if err := errors.Join(r.WriteHTML(&page), r.WriteFiguresCSV(&figures)); err != nil {
			return nil, err
		}
		rules := cfg.Inspect
		rules.Licenses = configs.Licenses{} // the position's, not the analysis's: local paths stay home
		profile, err := json.Marshal(rules)
		if err != nil {
			return nil, err
		}
		out := []evidence.Attachment{{Name: evidence.FileReport, Data: page.Bytes()}, {Name: evidence.FileFigures, Data: figures.Bytes()},
			{Name: evidence.FileProfile, Data: append(profile, '\n')}}
		basis, err := json.Marshal(reportBasis(section, o, b))
		if err != nil {
			return nil, err
		}
		out = append(out, evidence.Attachment{Name: evidence.FileLicenses, Data: append(basis, '\n')})
		if r.Reconciliation != nil {
			rec, err := json.Marshal(bundleReconciliation(r.Reconciliation, b))
			if err != nil {
				return nil, err
			}
			out = append(out, evidence.Attachment{Name: evidence.FileMeasured, Data: b.MeasuredFile},
				evidence.Attachment{Name: evidence.FileReconciliation, Data: rec})
		}
		return out, nil
	}
}

// reportBasis is licenses.json: what the report's position and
// reconciliation were worked out from besides the figures.
func reportBasis(section configs.Licenses, o report.Options, b BundleReport) report.Basis {
	parts := func(ns []configs.LicenseName) []analysis.LicensePart {
		out := []analysis.LicensePart{}
		for _, n := range ns {
			out = append(out, analysis.LicensePart{Code: n.Code, Name: n.Name, Aliases: n.Aliases})
		}
		return out
	}
	basis := report.Basis{Format: report.BasisFormat, Products: parts(section.Products), Editions: parts(section.Editions),
		Models: parts(section.Models), Entitlements: o.Entitlements}
	if basis.Entitlements == nil {
		basis.Entitlements = []analysis.Entitlement{}
	}
	if o.Measured != nil {
		basis.Measured = &report.BasisMeasured{File: evidence.FileMeasured, Map: b.MeasuredMap, Known: b.MeasuredKnown, Tolerance: b.Tolerance}
		if basis.Measured.Map == nil {
			basis.Measured.Map = []string{}
		}
		if basis.Measured.Known == nil {
			basis.Measured.Known = []string{}
		}
	}
	return basis
}

// manifestReconciliation is the manifest's "reconciliation": the
// measurement file and what comparing it with the reported figures gave
// (every mismatch; the agreeing rows are only counted).
type manifestReconciliation struct {
	Measured struct {
		File   string `json:"file"`   // evidence.FileMeasured
		Name   string `json:"name"`   // the file's name when it was given
		SHA256 string `json:"sha256"` // of its bytes
		Format string `json:"format"` // analysis.FormatHistorical, FormatMapped, FormatPlain
		Values int    `json:"values"` // figure-days it holds
	} `json:"measured"`
	Tolerance  string              `json:"tolerance"`
	Compared   int                 `json:"compared"`
	Agreed     int                 `json:"agreed"`
	Counts     map[string]int      `json:"counts"`
	Mismatches []analysis.Mismatch `json:"mismatches"`
	Unmatched  []string            `json:"unmatched"`
}

func bundleReconciliation(r *analysis.Reconciliation, b BundleReport) manifestReconciliation {
	var m manifestReconciliation
	m.Measured.File, m.Measured.Name, m.Measured.Format, m.Measured.Values = evidence.FileMeasured, b.MeasuredName, b.MeasuredFormat, len(b.Measured)
	sum := sha256.Sum256(b.MeasuredFile)
	m.Measured.SHA256 = hex.EncodeToString(sum[:])
	m.Tolerance, m.Compared, m.Agreed, m.Counts = r.Tolerance, r.Compared, r.Agreed, r.Counts
	m.Mismatches, m.Unmatched = r.Mismatches, r.Unmatched
	if m.Mismatches == nil {
		m.Mismatches = []analysis.Mismatch{}
	}
	if m.Unmatched == nil {
		m.Unmatched = []string{}
	}
	return m
}

// selectionText says in plain words what a bundle holds: which
// captures, and what it withholds.
func selectionText(s evidence.Selection, captures int, treeSize uint64) string {
	var parts []string
	switch {
	case len(s.IDs) > 0:
		parts = append(parts, fmt.Sprintf("%d chosen captures", len(s.IDs)))
	case s.Endpoint != "":
		parts = append(parts, "the captures of the endpoint "+s.Endpoint)
	case s.Host != "":
		parts = append(parts, "the captures of the host "+s.Host)
	default:
		parts = append(parts, "every capture")
	}
	if s.Since != "" {
		parts = append(parts, "captured from "+strings.Replace(s.Since, "T", " ", 1))
	}
	if s.Until != "" {
		parts = append(parts, "captured before "+strings.Replace(s.Until, "T", " ", 1))
	}
	text := strings.Join(parts, ", ") + fmt.Sprintf(" that the log held when its record %d was signed (%d captures)", treeSize, captures)
	if s.Redact {
		text += "; passwords, tokens, cookies and other secrets are withheld, each listed and still proven"
	} else {
		text += "; secrets are kept as they were sent"
	}
	if s.Pseudonymise {
		text += "; the names of users and devices are withheld, each shown as a stable pseudonym"
	}
	return text + "."
}

// ToolVersion names this program in manifests.
func ToolVersion() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return "telltale " + v
}

// PseudonymKeyFile holds the key of export pseudonyms, beside the log
// key: the same key gives the same pseudonyms in every bundle.
const PseudonymKeyFile = "pseudonym.key"

// Pseudonymiser is the pseudonymiser of exports from the data directory
// dataDir: its key (DATA/ca/pseudonym.key, made on first use) and the
// analysis's definition of an identifier.
func Pseudonymiser(dataDir string) (*evidence.Pseudonymiser, error) {
	path := filepath.Join(dataDir, "ca", PseudonymKeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("pseudonym key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) { // made meanwhile by another export
			return Pseudonymiser(dataDir)
		}
		if err != nil {
			return nil, fmt.Errorf("pseudonym key: %w", err)
		}
		_, err = f.Write(key)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("pseudonym key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("pseudonym key: %w", err)
	}
	if len(key) < 16 {
		return nil, fmt.Errorf("pseudonym key %s: %d bytes, want 32", path, len(key))
	}
	return &evidence.Pseudonymiser{Key: key, Find: func(fields []inspect.Field) []evidence.Identifier {
		var out []evidence.Identifier
		for _, f := range analysis.IdentifiersIn(fields) {
			out = append(out, evidence.Identifier{Category: f.Category, Value: f.Value})
		}
		return out
	}}, nil
}

// pseudonymSource shows each identifier a pseudonymised bundle withholds
// as its pseudonym in the figures of the bundle's report and figures.csv.
type pseudonymSource struct {
	report.Source
	names map[string]string
}

func (p pseudonymSource) Figures(q analysis.Query) ([]analysis.Point, error) {
	pts, err := p.Source.Figures(q)
	for i, pt := range pts {
		if s, ok := pt.Value.(string); ok && p.names[s] != "" {
			pts[i].Value = p.names[s]
		}
	}
	return pts, err
}
