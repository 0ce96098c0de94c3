package server

import (
	"bytes"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/report"
)

// The hand-over report inside an evidence bundle, as the review UI's
// export and `telltale export` attach it.

// ReportAttacher puts the hand-over report of a bundle's captures, and
// figures.csv, into the bundle (evidence.ExportOptions.Attach).
func ReportAttacher(src report.Source, cfg *configs.Config) func(evidence.Attached) ([]evidence.Attachment, error) {
	return func(at evidence.Attached) ([]evidence.Attachment, error) {
		origin, _, _ := strings.Cut(string(at.Note), "\n")
		ck := &report.Checkpoint{TreeSize: at.Checkpoint.TreeSize, RootHash: at.Checkpoint.RootHash.String(),
			Time: at.Checkpoint.Time, Origin: origin, Key: at.Key, Fingerprint: evidence.Fingerprint(at.Key), Note: string(at.Note)}
		r, err := report.Build(src, at.Captures, report.Options{
			Templates: analysis.Templates(cfg.Inspect.Templates), Scope: selectionText(at.Selection),
			Checkpoint: ck, InBundle: true, Tool: ToolVersion(),
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

// ToolVersion names this program in manifests.
func ToolVersion() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return "telltale " + v
}
