package evidence

import (
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Finding is one thing a verification found: a failure, or a note that is
// not one (a pruned body, records not yet signed). It names what it is
// about so that a user can go and look.
type Finding struct {
	File       string // the bundle file (and line) it is about; "" for a store
	Capture    uint64 // the capture; 0 when not about one, or unknown
	Seq        uint64 // the record; 0 when not about one
	Checkpoint uint64 // the stored checkpoint's index; 0 when not about one
	Msg        string
}

// String is "capture 12, record 13: <what>", after the file if any.
func (f Finding) String() string {
	var where []string
	if f.File != "" {
		where = append(where, f.File)
	}
	if f.Capture != 0 {
		where = append(where, fmt.Sprintf("capture %d", f.Capture))
	}
	if f.Seq != 0 {
		where = append(where, fmt.Sprintf("record %d", f.Seq))
	}
	if f.Checkpoint != 0 {
		where = append(where, fmt.Sprintf("checkpoint %d", f.Checkpoint))
	}
	if len(where) == 0 {
		return f.Msg
	}
	return strings.Join(where, ", ") + ": " + f.Msg
}

// Report is what Verify found in a store.
type Report struct {
	Size        uint64    // records the log says it holds: its tree size
	Root        tlog.Hash // the root hash recomputed from the records
	Records     uint64    // records read
	Bodies      int       // distinct stored bodies hashed
	Checkpoints int       // stored checkpoints
	Kept        int       // VerifyOptions.Earlier proven consistent with the log
	// Latest is the newest stored checkpoint whose signature verified.
	Latest *Checkpoint
	// Anchors are the checkpoints' timestamps (anchors.go).
	Anchors AnchorReport

	Notes    []Finding // not failures: pruned bodies, records not yet signed
	Failures []Finding // everything that does not verify
	// Warnings are not tampering either, but a gap in what was captured:
	// exchanges whose response was not recorded (verify_responses.go).
	Warnings []Finding
	// Lost are the records the write-ahead log lost before they reached
	// the database, which `telltale recover` logged as store.KindLost:
	// not tampering, but acknowledged captures that are gone.
	Lost []Finding
}

// OK reports whether nothing failed.
func (r *Report) OK() bool { return len(r.Failures) == 0 }

func (r *Report) fail(f Finding) { r.Failures = append(r.Failures, f) }
func (r *Report) note(f Finding) { r.Notes = append(r.Notes, f) }
func (r *Report) warn(f Finding) { r.Warnings = append(r.Warnings, f) }
