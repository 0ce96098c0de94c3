package admin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/store"
)

// Evidence is what the Evidence page runs. Package server implements it with
// package evidence and the log key, so that the page's bundle is the one
// `telltale export` writes and its verify is `telltale verify`'s.
type Evidence interface {
	// Key is the log's verifier key (DATA/ca/log.pub).
	Key() string
	// Export signs a checkpoint if the log grew, then writes the bundle of
	// the selection to w; skipped counts captures the checkpoint does not
	// cover.
	Export(ctx context.Context, w io.Writer, sel evidence.Selection) (m *evidence.Manifest, skipped int, err error)
	// Verify checks the whole store.
	Verify(ctx context.Context) (*evidence.Report, error)
}

// tree is the part of the store that proofs and checkpoints read.
// *store.Store implements it.
type tree interface {
	Size() (uint64, error)
	Record(seq uint64) (*store.Record, error)
	HashReader() tlog.HashReader
	LatestCheckpoint() (store.Checkpoint, error)
	Checkpoints() ([]store.Checkpoint, error)
}

var _ tree = (*store.Store)(nil)

// checkpointView is the latest checkpoint as the page shows it.
type checkpointView struct {
	Index     uint64    `json:"index"`
	Size      uint64    `json:"tree_size"`
	Root      string    `json:"root_hash,omitempty"`
	Time      string    `json:"time,omitempty"`
	Origin    string    `json:"origin,omitempty"`
	Note      string    `json:"note"`
	Signature string    `json:"signature"` // "ok", or why not
	root      tlog.Hash // set when the signature verified
	verified  bool
}

// latestCheckpoint opens the newest stored checkpoint with the log key;
// nil when there is none.
func (h *Handler) latestCheckpoint(t tree) (*checkpointView, error) {
	sc, err := t.LatestCheckpoint()
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := &checkpointView{Index: sc.Index, Size: sc.Size, Note: string(sc.Note), Signature: "not checked: no log key"}
	if h.opts.Evidence == nil {
		return v, nil
	}
	key, err := evidence.ParseKey(h.opts.Evidence.Key())
	if err != nil {
		v.Signature = "not checked: " + err.Error()
		return v, nil
	}
	ck, err := evidence.Open(sc.Note, key)
	if err != nil {
		v.Signature = err.Error()
		return v, nil
	}
	if ck.Size != sc.Size {
		v.Signature = "the note signs another tree size than the store records"
		return v, nil
	}
	v.Signature, v.verified, v.root = "ok", true, ck.Root
	v.Root, v.Time, v.Origin = ck.Root.String(), ck.Time.UTC().Format(store.TimeFormat), ck.Origin
	return v, nil
}

// leafStatus is one leaf of a capture and whether the latest checkpoint
// proves it.
type leafStatus struct {
	Index    uint64 `json:"index"`
	Seq      uint64 `json:"seq"`
	Kind     string `json:"kind"`
	LeafHash string `json:"leaf_hash"`
	// Status is "included" (its inclusion proof checks against the signed
	// root), "pending" (after the latest checkpoint), "unsigned" (no
	// checkpoint yet) or "failed".
	Status string `json:"status"`
	Detail string `json:"detail"`
	Proof  int    `json:"proof_hashes,omitempty"`
}

// inclusion is GET /api/captures/{id}/inclusion.
func (h *Handler) inclusion(w http.ResponseWriter, r *http.Request) {
	t, ok := h.opts.Store.(tree)
	if !ok {
		writeError(w, http.StatusNotImplemented, "this server's store keeps no tree")
		return
	}
	c, err := h.opts.Store.Capture(r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	ck, err := h.latestCheckpoint(t)
	if err != nil {
		h.fail(w, err)
		return
	}
	out := struct {
		Checkpoint *checkpointView `json:"checkpoint"`
		Leaves     []leafStatus    `json:"leaves"`
	}{Checkpoint: ck, Leaves: []leafStatus{}}
	for _, leaf := range c.Leaves {
		out.Leaves = append(out.Leaves, proveLeaf(t, leaf, ck))
	}
	writeJSON(w, out)
}

func proveLeaf(t tree, leaf uint64, ck *checkpointView) leafStatus {
	ls := leafStatus{Index: leaf, Seq: leaf + 1}
	rec, err := t.Record(leaf + 1)
	if err != nil {
		ls.Status, ls.Detail = "failed", err.Error()
		return ls
	}
	ls.Kind = string(rec.Kind)
	data, err := store.LeafData(rec)
	if err != nil {
		ls.Status, ls.Detail = "failed", err.Error()
		return ls
	}
	lh := tlog.RecordHash(data)
	ls.LeafHash = lh.String()
	switch {
	case ck == nil:
		ls.Status, ls.Detail = "unsigned", "no signed checkpoint yet"
		return ls
	case leaf >= ck.Size:
		ls.Status, ls.Detail = "pending", "logged after the latest checkpoint; the next one covers it"
		return ls
	case !ck.verified:
		ls.Status, ls.Detail = "failed", "the latest checkpoint's signature does not verify: "+ck.Signature
		return ls
	}
	proof, err := tlog.ProveRecord(int64(ck.Size), int64(leaf), t.HashReader())
	if err == nil {
		err = tlog.CheckRecord(proof, int64(ck.Size), ck.root, int64(leaf), lh)
	}
	if err != nil {
		ls.Status, ls.Detail = "failed", "inclusion proof: "+err.Error()
		return ls
	}
	ls.Status, ls.Proof = "included", len(proof)
	ls.Detail = "proven in the signed tree of " + strconv.FormatUint(ck.Size, 10) + " records"
	return ls
}

// verifyJob runs one whole-store verify at a time, in the background.
type verifyJob struct {
	wg sync.WaitGroup

	mu                sync.Mutex
	running           bool
	started, finished time.Time
	rep               *evidence.Report
	err               string
}

func (j *verifyJob) wait() { j.wg.Wait() }

// maxFindings is how many failures and notes the page gets.
const maxFindings = 100

type verifyView struct {
	State         string   `json:"state"` // never, running, done, error
	Started       string   `json:"started,omitempty"`
	Finished      string   `json:"finished,omitempty"`
	OK            bool     `json:"ok"`
	Error         string   `json:"error,omitempty"`
	Records       uint64   `json:"records"`
	Bodies        int      `json:"bodies"`
	Checkpoints   int      `json:"checkpoints"`
	Failures      []string `json:"failures"`
	FailuresTotal int      `json:"failures_total"`
	Notes         []string `json:"notes"`
	NotesTotal    int      `json:"notes_total"`
	// Warnings are captures whose response was not recorded: not tampering.
	Warnings      []string `json:"warnings"`
	WarningsTotal int      `json:"warnings_total"`
}

func (j *verifyJob) view() verifyView {
	j.mu.Lock()
	defer j.mu.Unlock()
	v := verifyView{State: "never", Failures: []string{}, Notes: []string{}, Warnings: []string{}}
	if !j.started.IsZero() {
		v.Started = j.started.UTC().Format(time.RFC3339Nano)
	}
	switch {
	case j.running:
		v.State = "running"
		return v
	case j.err != "":
		v.State, v.Error = "error", j.err
	case j.rep != nil:
		v.State, v.OK = "done", j.rep.OK()
		v.Records, v.Bodies, v.Checkpoints = j.rep.Records, j.rep.Bodies, j.rep.Checkpoints
		v.Failures, v.FailuresTotal = findings(j.rep.Failures)
		v.Notes, v.NotesTotal = findings(j.rep.Notes)
		v.Warnings, v.WarningsTotal = findings(j.rep.Warnings)
	default:
		return v
	}
	v.Finished = j.finished.UTC().Format(time.RFC3339Nano)
	return v
}

func findings(fs []evidence.Finding) ([]string, int) {
	out := []string{}
	for i, f := range fs {
		if i == maxFindings {
			break
		}
		out = append(out, f.String())
	}
	return out, len(fs)
}

// startVerify is POST /api/verify: it starts a verify unless one runs.
func (h *Handler) startVerify(w http.ResponseWriter, r *http.Request) {
	if h.opts.Evidence == nil {
		writeError(w, http.StatusNotImplemented, "this server cannot verify: no log key")
		return
	}
	j := h.verify
	j.mu.Lock()
	if !j.running {
		j.running, j.started, j.err, j.rep = true, time.Now(), "", nil
		j.wg.Add(1)
		go j.run(h.opts.Evidence)
	}
	j.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	writeJSON(w, j.view())
}

func (j *verifyJob) run(ev Evidence) {
	defer j.wg.Done()
	rep, err := ev.Verify(context.Background())
	j.mu.Lock()
	defer j.mu.Unlock()
	j.running, j.finished, j.rep = false, time.Now(), rep
	if err != nil {
		j.err = err.Error()
	}
}

// evidenceStatus is GET /api/evidence.
func (h *Handler) evidenceStatus(w http.ResponseWriter, r *http.Request) {
	out := struct {
		LogSize     uint64          `json:"log_size"`
		Key         string          `json:"key,omitempty"`
		Fingerprint string          `json:"fingerprint,omitempty"`
		Checkpoint  *checkpointView `json:"checkpoint"`
		Checkpoints int             `json:"checkpoints"`
		Verify      verifyView      `json:"verify"`
		CanExport   bool            `json:"can_export"`
		Archive     *ArchiveView    `json:"archive,omitempty"` // archive.go
	}{Verify: h.verify.view(), CanExport: h.opts.Evidence != nil}
	if h.opts.Archive != nil {
		a := h.opts.Archive()
		out.Archive = &a
	}
	if h.opts.Evidence != nil {
		out.Key = h.opts.Evidence.Key()
		out.Fingerprint = evidence.Fingerprint(out.Key)
	}
	if t, ok := h.opts.Store.(tree); ok {
		var err error
		if out.LogSize, err = t.Size(); err != nil {
			h.fail(w, err)
			return
		}
		if out.Checkpoint, err = h.latestCheckpoint(t); err != nil {
			h.fail(w, err)
			return
		}
		cks, err := t.Checkpoints()
		if err != nil {
			h.fail(w, err)
			return
		}
		out.Checkpoints = len(cks)
	}
	writeJSON(w, out)
}
