package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/alert"
	"github.com/telltale/telltale/archive"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/store"
)

// KindArchiveLag is the alert raised when a record has waited longer than
// archive.alert_after to be archived.
const KindArchiveLag = "archive_lag"

// OpenArchive builds the archiver of st from cfg's archive section; it
// sends nothing. `telltale archive` and serve share it.
func OpenArchive(ctx context.Context, cfg *configs.Config, st *store.Store, log zerolog.Logger, progress ...func(archived, target uint64)) (*archive.Archiver, error) {
	a := cfg.ArchiveSettings()
	b, err := archive.OpenBucket(ctx, archive.BucketOptions{Endpoint: a.Endpoint, Region: a.Region, Bucket: a.Bucket,
		AccessKeyEnv: a.AccessKeyEnv, SecretKeyEnv: a.SecretKeyEnv, SessionTokenEnv: a.SessionTokenEnv})
	if err != nil {
		return nil, err
	}
	vkey, err := os.ReadFile(filepath.Join(cfg.DataDir, "ca", "log.pub"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("archive: log key: %w", err)
	}
	o := archive.Options{Prefix: a.Prefix, Retention: time.Duration(a.Retention), Mode: a.Mode,
		AllowUnlocked: a.AllowUnlocked, VerifierKey: strings.TrimSpace(string(vkey)), Logger: log}
	if len(progress) > 0 {
		o.Progress = progress[0]
	}
	return archive.New(st, b, o), nil
}

// archiver runs serve's background archiver: it pushes every
// archive.interval, off the capture path, and feeds /metrics and alerts.
type archiver struct {
	a          *archive.Archiver
	interval   time.Duration
	alertAfter time.Duration
	alerts     *alert.Notifier

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// openArchiver checks the bucket at start: one without Object Lock is
// refused (unless allowed); one that cannot be reached now is checked
// again by the loop, so that capture starts anyway.
func (s *Server) openArchiver() error {
	if !s.cfg.Archive.Enabled() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	a, err := OpenArchive(ctx, s.cfg, s.Store, s.log)
	if err != nil {
		return configErr(err)
	}
	if err := a.Check(ctx); errors.Is(err, archive.ErrUnlocked) {
		return configErr(fmt.Errorf("archive: %w", err))
	} else if err != nil {
		s.log.Warn().Err(err).Str("component", "archive").Msg("archive: bucket not reachable at start; capture goes on and the archiver retries")
	}
	set := s.cfg.ArchiveSettings()
	s.archiver = &archiver{a: a, interval: time.Duration(set.Interval), alertAfter: time.Duration(set.AlertAfter), alerts: s.ops.Alerts}
	s.archiver.register(s.ops.Metrics.Registry())
	return nil
}

// register adds the archive's gauges to /metrics.
func (r *archiver) register(reg *prometheus.Registry) {
	gauge := func(name, help string, f func(archive.Status) float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return f(r.a.Status()) }))
	}
	gauge("telltale_archive_lag_seconds", "How long the oldest record not yet in the object-store archive has waited (0: none waits).",
		func(s archive.Status) float64 { return s.Lag(time.Now()).Seconds() })
	gauge("telltale_archive_unarchived_records", "Records of the log not yet in the object-store archive.",
		func(s archive.Status) float64 { return float64(s.Size - min(s.Archived, s.Size)) })
	gauge("telltale_archive_archived_records", "Records of the log in the object-store archive.",
		func(s archive.Status) float64 { return float64(s.Archived) })
	gauge("telltale_archive_conflicts", "Bodies already in the bucket with other bytes (tampered, or another log's), reported and left as they are.",
		func(s archive.Status) float64 { return float64(s.Conflicts) })
	gauge("telltale_archive_failing", "1 when the archiver's last push failed.",
		func(s archive.Status) float64 {
			if s.Err != "" {
				return 1
			}
			return 0
		})
}

// start runs the loop until stop.
func (r *archiver) start() {
	if r == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(2)
	go func() { defer r.wg.Done(); r.a.Run(ctx, r.interval) }()
	go func() { defer r.wg.Done(); r.watch(ctx) }()
}

// watch alerts when the archive falls behind archive.alert_after.
func (r *archiver) watch(ctx context.Context) {
	// Check at least twice within alert_after, and at most every
	// minute.
	t := time.NewTicker(min(checkEvery, max(r.alertAfter/2, time.Second)))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st := r.a.Status()
		if lag := st.Lag(time.Now()); r.alertAfter > 0 && lag > r.alertAfter {
			detail := fmt.Sprintf("%d records wait, the oldest for %s", st.Size-min(st.Archived, st.Size), lag.Round(time.Second))
			if st.Err != "" {
				detail += "; last error: " + st.Err
			}
			r.alerts.Notify(alert.Alert{Kind: KindArchiveLag, Severity: alert.Warning, Subject: "archive",
				Summary: "Telltale's log is not reaching its object-store archive: captures are kept here, but not yet outside this machine.",
				Detail:  detail})
		}
	}
}

// stop ends the loop and waits for it.
func (r *archiver) stop() {
	if r == nil || r.cancel == nil {
		return
	}
	r.cancel()
	r.wg.Wait()
}

// ArchiveStatus is the archiver's status; ok is false when no archive is
// configured.
func (s *Server) ArchiveStatus() (archive.Status, bool) {
	if s.archiver == nil {
		return archive.Status{}, false
	}
	return s.archiver.a.Status(), true
}

// ArchiveHealth is what GET /archivez answers: how far the archive is
// behind, no traffic and no bucket details.
type ArchiveHealth struct {
	Configured bool    `json:"configured"`
	Archived   uint64  `json:"archived"`
	Size       uint64  `json:"size"`
	Checkpoint uint64  `json:"checkpoint"`
	LagSeconds float64 `json:"lag_seconds"`
	Failing    bool    `json:"failing"`
}

// archivez answers the archive's lag, for doctor while serve holds the
// store. No token, like /readyz: it says nothing about the traffic.
func (s *Server) archivez(w http.ResponseWriter, _ *http.Request) {
	st, ok := s.ArchiveStatus()
	writeHealth(w, http.StatusOK, ArchiveHealth{Configured: ok, Archived: st.Archived, Size: st.Size, Checkpoint: st.Checkpoint,
		LagSeconds: st.Lag(time.Now()).Seconds(), Failing: st.Err != ""})
}

// archiveView feeds the evidence page's archive line; nil without an
// archive.
func (s *Server) archiveView() func() admin.ArchiveView {
	if s.archiver == nil {
		return nil
	}
	return func() admin.ArchiveView {
		st := s.archiver.a.Status()
		return admin.ArchiveView{Bucket: s.archiver.a.Bucket().Name(), Archived: st.Archived, Size: st.Size, Checkpoint: st.Checkpoint,
			LagSeconds: st.Lag(time.Now()).Seconds(), Error: st.Err}
	}
}
