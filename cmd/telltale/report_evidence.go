package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/report"
	"github.com/telltale/telltale/store"
)

// storeCheckpoint is the report's checkpoint section for a store: the
// latest signed checkpoint, and the commands that verify the log and an
// export of the same selection. Without a key or a checkpoint it is nil.
func storeCheckpoint(st *store.Store, fl reportFlags) (*report.Checkpoint, []string) {
	key, err := logKey(fl.data, "")
	if err != nil {
		return nil, nil
	}
	sel := ""
	if fl.host != "" {
		sel += " --host " + fl.host
	}
	if fl.times.since != "" {
		sel += " --since " + fl.times.since
	}
	if fl.times.until != "" {
		sel += " --until " + fl.times.until
	}
	verify := []string{
		fmt.Sprintf("telltale verify --data %s --key %q", fl.data, key),
		fmt.Sprintf("telltale export -o evidence.zip --data %s%s", fl.data, sel),
		fmt.Sprintf("telltale verify evidence.zip --key %q", key),
	}
	cp, err := st.LatestCheckpoint()
	if err != nil {
		return nil, verify
	}
	v, err := evidence.ParseKey(key)
	if err != nil {
		return nil, verify
	}
	ck, err := evidence.Open(cp.Note, v)
	if err != nil {
		return nil, verify
	}
	return &report.Checkpoint{TreeSize: ck.Size, RootHash: ck.Root.String(), Time: ck.Time.UTC().Format(store.TimeFormat),
		Origin: ck.Origin, Key: key, Fingerprint: evidence.Fingerprint(key), Note: string(cp.Note)}, verify
}

// attachReport makes an export put the report into its bundle, from an
// analysis of st with the rules of configFile (or the embedded default).
func attachReport(opts *evidence.ExportOptions, st *store.Store, configFile string) (func(), error) {
	cfg, err := loadConfig(configFile)
	if err != nil {
		return nil, err
	}
	a, err := analysis.New(st, analysisOptions(cfg.Inspect, zerolog.Nop()))
	if err != nil {
		return nil, err
	}
	opts.Attach = reportAttacher(a, cfg)
	return func() { a.Close() }, nil
}

// reportAttacher puts the hand-over report of a bundle's captures, and
// figures.csv, into the bundle (evidence.ExportOptions.Attach).
func reportAttacher(src report.Source, cfg *configs.Config) func(evidence.Attached) ([]evidence.Attachment, error) {
	return func(at evidence.Attached) ([]evidence.Attachment, error) {
		origin, _, _ := strings.Cut(string(at.Note), "\n")
		ck := &report.Checkpoint{TreeSize: at.Checkpoint.TreeSize, RootHash: at.Checkpoint.RootHash.String(),
			Time: at.Checkpoint.Time, Origin: origin, Key: at.Key, Fingerprint: evidence.Fingerprint(at.Key), Note: string(at.Note)}
		r, err := report.Build(src, at.Captures, report.Options{
			Templates: analysis.Templates(cfg.Inspect.Templates), Scope: selectionText(at.Selection),
			Checkpoint: ck, InBundle: true, Tool: toolVersion(),
			Verify: []string{fmt.Sprintf("telltale verify THIS-BUNDLE.zip --key %q", at.Key)},
		})
		if err != nil {
			return nil, err
		}
		var page, figures bytes.Buffer
		if err := errors.Join(r.WriteHTML(&page), r.WriteFiguresCSV(&figures)); err != nil {
			return nil, err
		}
		return []evidence.Attachment{{Name: evidence.FileReport, Data: page.Bytes()}, {Name: evidence.FileFigures, Data: figures.Bytes()}}, nil
	}
}

// selectionText says an export's selection in words.
func selectionText(s evidence.Selection) string {
	var parts []string
	if len(s.IDs) > 0 {
		parts = append(parts, "captures "+strings.Join(s.IDs, ", "))
	}
	if s.Host != "" {
		parts = append(parts, "host "+s.Host)
	}
	if s.Endpoint != "" {
		parts = append(parts, "endpoint "+s.Endpoint)
	}
	if s.Since != "" {
		parts = append(parts, "captured from "+s.Since)
	}
	if s.Until != "" {
		parts = append(parts, "captured before "+s.Until)
	}
	if s.Redact {
		parts = append(parts, "redacted")
	}
	if len(parts) == 0 {
		return "all captures up to the bundle's checkpoint"
	}
	return strings.Join(parts, ", ")
}
