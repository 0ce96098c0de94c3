package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/telltale/telltale/archive"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

// checkArchive checks the archive section: the bucket answers and has
// Object Lock (as serve checks at start), and how far the archive is
// behind the log, from the store or from the serve that holds it.
func (d *doctor) checkArchive() {
	if !d.cfg.Archive.Enabled() {
		return
	}
	set := d.cfg.ArchiveSettings()
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	b, err := archive.OpenBucket(ctx, archive.BucketOptions{Endpoint: set.Endpoint, Region: set.Region, Bucket: set.Bucket,
		AccessKeyEnv: set.AccessKeyEnv, SecretKeyEnv: set.SecretKeyEnv, SessionTokenEnv: set.SessionTokenEnv})
	if err != nil {
		d.line(checkFail, "archive", "%v", err)
		return
	}
	mode, err := archive.CheckBucket(ctx, b, set.Mode, set.AllowUnlocked)
	switch {
	case errors.Is(err, archive.ErrUnlocked):
		d.line(checkFail, "archive", "%v", err)
		return
	case err != nil:
		d.line(checkFail, "archive", "bucket %s: %s; captures are kept here until it answers", set.Bucket, shortErr(err))
		return
	case mode == "":
		d.line(checkWarn, "archive", "bucket %s has no Object Lock (allowed by the config): the archive can be deleted", set.Bucket)
	default:
		d.line(checkOK, "archive", "bucket %s answers, Object Lock on; objects locked %s for %s", set.Bucket, mode, time.Duration(set.Retention))
	}
	h, err := d.archiveHealth()
	if err != nil {
		d.line(checkWarn, "archive", "lag unknown: %v", err)
		return
	}
	lag := time.Duration(h.LagSeconds * float64(time.Second)).Round(time.Second)
	waiting := h.Size - min(h.Archived, h.Size)
	switch {
	case h.Failing || lag > time.Duration(set.AlertAfter):
		d.line(checkWarn, "archive", "%d of %d records archived; %d wait, the oldest for %s (alert after %s)",
			h.Archived, h.Size, waiting, lag, time.Duration(set.AlertAfter))
	default:
		d.line(checkOK, "archive", "%d of %d records archived (checkpoint %d); lag %s", h.Archived, h.Size, h.Checkpoint, lag)
	}
}

// archiveHealth reads the archive's lag from the store, or from serve's
// /archivez when serve holds it.
func (d *doctor) archiveHealth() (server.ArchiveHealth, error) {
	dir := d.cfg.DataDir
	if _, err := os.Stat(filepath.Join(dir, store.DBFile)); err != nil {
		return server.ArchiveHealth{}, errors.New("no store yet")
	}
	st, err := store.Open(dir, store.Options{ReadOnly: true, Timeout: 200 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		code, body, err := server.Health(dir, "/archivez")
		if err != nil || code != 200 {
			return server.ArchiveHealth{}, errors.New("serve holds the store and /archivez did not answer")
		}
		var h server.ArchiveHealth
		return h, json.Unmarshal([]byte(body), &h)
	}
	if err != nil {
		return server.ArchiveHealth{}, err
	}
	defer st.Close()
	state, err := st.ArchiveState()
	if err != nil {
		return server.ArchiveHealth{}, err
	}
	size, err := st.Size()
	if err != nil {
		return server.ArchiveHealth{}, err
	}
	h := server.ArchiveHealth{Configured: true, Archived: state.Size, Size: size, Checkpoint: state.Checkpoint}
	if state.Size < size {
		if r, err := st.Record(state.Size + 1); err == nil {
			h.LagSeconds = d.now().Sub(r.Time).Seconds()
		}
	}
	return h, nil
}
