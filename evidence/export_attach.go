package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/telltale/telltale/store"
)

// Files a caller adds to a bundle through ExportOptions.Attach: the
// vendor hand-over report and the figures it shows. They are derived from
// the captures by the caller's analysis, listed in the manifest and so
// signed like every other file; VerifyBundle checks their hashes but does
// not remake them.
const (
	FileReport   = "report.html"  // the printable hand-over report
	FileFigures  = "figures.csv"  // the figures the captures reported
	FileMeasured = "measured.csv" // the buyer's own measurement, as given (export --measured)
	// FileProfile is the analysis rules (the config's inspect section, as
	// JSON) report.html and figures.csv were made with, so that a
	// verifier can make them again from the proven captures.
	FileProfile = "profile.json"
	// FileLicenses is what report.html's license position and
	// reconciliation were worked out from besides the figures (the
	// licenses section as used, how measured.csv was read: JSON, see
	// report.Basis), so that a verifier can work them out again.
	FileLicenses = "licenses.json"
	// FileReconciliation is not a file: an attachment of this name is
	// JSON that goes into manifest.json as "reconciliation" (the
	// measurement against the reported figures), signed with it.
	FileReconciliation = "reconciliation.json"
)

// Attached is what an Attach hook is told about the bundle being written.
type Attached struct {
	// Captures are the exported captures, oldest first (List's view: no
	// heads).
	Captures   []store.Capture
	Checkpoint CheckpointInfo // what every capture is proven against
	Note       []byte         // the signed checkpoint, checkpoint.txt
	Key        string         // the log's verifier key, log.pub
	Selection  Selection
	// Pseudonyms are, in a pseudonymised bundle, the pseudonym of each
	// identifier the bundle withholds (by value), so that the attached
	// files show the pseudonym where they would show the identifier.
	Pseudonyms map[string]string
}

// Attachment is one file an Attach hook adds.
type Attachment struct {
	Name string // FileReport, FileFigures, FileMeasured, FileProfile, FileLicenses or FileReconciliation
	Data []byte
}

// attachable reports whether an Attach hook may add a file of this name.
func attachable(name string) bool {
	switch name {
	case FileReport, FileFigures, FileMeasured, FileProfile, FileLicenses:
		return true
	}
	return false
}

// attach runs ExportOptions.Attach and adds its files.
func (x *exporter) attach() error {
	if x.opts.Attach == nil {
		return nil
	}
	files, err := x.opts.Attach(Attached{Captures: x.exported, Checkpoint: x.m.Checkpoint, Note: x.cp.Note,
		Key: x.opts.Key, Selection: x.m.Selection, Pseudonyms: x.pseudonymOf})
	if err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	for _, f := range files {
		if f.Name == FileReconciliation {
			var b bytes.Buffer
			if err := json.Compact(&b, f.Data); err != nil {
				return fmt.Errorf("attach: %s: %w", f.Name, err)
			}
			x.m.Reconciliation = json.RawMessage(b.Bytes())
			continue
		}
		if !attachable(f.Name) {
			return fmt.Errorf("attach: %q is not a file a bundle may hold", f.Name)
		}
		if err := x.bw.addBytes(f.Name, f.Data); err != nil {
			return err
		}
	}
	return nil
}
