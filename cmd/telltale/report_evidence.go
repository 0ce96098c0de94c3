package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/report"
	"github.com/telltale/telltale/server"
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
		Origin: ck.Origin, Key: key, Fingerprint: evidence.Fingerprint(key), Note: string(cp.Note),
		Timestamp: provenBy(st, cp)}, verify
}

// provenBy is what the checkpoint's timestamp proves, if it has one that
// verifies and is within evidence.DefaultMaxLag of its time.
func provenBy(st *store.Store, cp store.Checkpoint) string {
	tsrs, err := st.Anchors(store.AnchorTimestamp)
	if err != nil || tsrs[cp.Index] == nil {
		return ""
	}
	s, err := evidence.CheckTimestamp(tsrs[cp.Index], cp.Note, nil)
	if err != nil {
		return ""
	}
	if t, err := evidence.CheckpointTime(cp.Note); err != nil || s.Time.Sub(t).Abs() > evidence.DefaultMaxLag {
		return ""
	}
	return s.ProvenBy()
}

// attachReport makes an export put the report into its bundle, from an
// analysis of st with the rules of fl.config (or the embedded default),
// the entitlements the position uses, and the measurement of
// --measured, reconciled.
func attachReport(opts *evidence.ExportOptions, st *store.Store, fl exportFlags) (func(), error) {
	cfg, err := loadConfig(fl.config)
	if err != nil {
		return nil, err
	}
	var b server.BundleReport
	cat, ents, err := licensesOf(cfg, fl.data)
	if err != nil {
		return nil, err
	}
	b.Entitlements = ents
	if b.Tolerance, err = analysis.ParseTolerance(fl.tolerance); err != nil {
		return nil, usage(err)
	}
	a, err := analysis.New(st, server.AnalysisOptions(cfg.Inspect, zerolog.Nop()))
	if err != nil {
		return nil, err
	}
	if fl.measured != "" {
		pts, err := a.Figures(analysis.Query{})
		if err == nil {
			b.MeasuredMap, b.MeasuredKnown = fl.maps, analysis.KnownLicenses(pts)
			b.Measured, b.MeasuredFormat, err = readMeasurements(fl.measured, fl.maps, cat, b.MeasuredKnown)
		}
		if err == nil {
			b.MeasuredFile, err = os.ReadFile(fl.measured)
		}
		if err != nil {
			a.Close()
			return nil, err
		}
		b.MeasuredName = filepath.Base(fl.measured)
	}
	if b.Numbers, err = analysis.CaptureNumbers(st); err != nil {
		a.Close()
		return nil, err
	}
	opts.Attach = server.ReportAttacher(a, cfg, b)
	return func() { a.Close() }, nil
}
