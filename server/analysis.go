package server

import (
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/inspect"
	"github.com/telltale/telltale/proxy"
	"github.com/telltale/telltale/store"
)

// AnalysisOptions turns the inspect section of the config into the
// analyzer's options.
func AnalysisOptions(cfg configs.Inspect, log zerolog.Logger) analysis.Options {
	o := analysis.Options{
		Volatile:         cfg.Volatile,
		VolatileHeaders:  cfg.VolatileHeaders,
		Templates:        analysis.Templates(cfg.Templates),
		HeuristicFigures: cfg.HeuristicFigures,
		Decode:           inspect.Options{MaxTotal: cfg.MaxDecodedBytes},
		Logger:           log,
	}
	for _, e := range cfg.Endpoints {
		r := analysis.Rule{Endpoint: e.Endpoint, Name: e.Name, Keys: e.Keys, Volatile: e.Volatile, Time: e.Time, UsageDay: e.UsageDay}
		for _, f := range e.Figures {
			r.Figures = append(r.Figures, analysis.Extractor{Path: f.Path, Name: f.Name, Unit: f.Unit, Count: f.Count, Label: f.Label})
		}
		o.Rules = append(o.Rules, r)
	}
	return o
}

// openAnalyzer starts the analyzer: it catches up on the captures not
// yet analysed, then follows the proxy's events (analyze).
func (s *Server) openAnalyzer() error {
	o := AnalysisOptions(s.cfg.Inspect, s.log)
	o.MaxBody = s.cfg.Inspect.MaxAnalysedBytes
	o.OnDrift = s.driftAlert
	o.OnPlainUsers = s.plainUsersAlert
	var err error
	if s.analyzer, err = analysis.New(s.Store, o); err != nil {
		return fmt.Errorf("open analysis: %w", err)
	}
	s.analyzer.Start()
	return nil
}

// analyze queues a finished exchange for the analyzer; it never blocks.
func (s *Server) analyze(e proxy.Event) {
	if e.Kind == store.CaptureExchange && e.ID != 0 && !e.CaptureFailed {
		s.analyzer.Notify(e.ID)
	}
}

// driftAlert raises the operations alerts and metrics for one capture's
// drift (the analyzer has logged each event at warn level already).
func (s *Server) driftAlert(events []analysis.DriftEvent) {
	if s.ops == nil || len(events) == 0 {
		return
	}
	ep, _ := analysis.ParseEndpoint(events[0].Endpoint)
	var fields []string
	for _, d := range events {
		if d.Kind == analysis.DriftNewEndpoint {
			s.ops.Alerts.NewEndpoint(ep.Host, ep.Template)
			s.ops.Metrics.NewEndpoint(ep.Host)
			continue
		}
		fields = append(fields, fmt.Sprintf("%s %s %s (%s)", d.Side, strings.ReplaceAll(d.Kind, "_", " "), d.Path, d.New))
	}
	if len(fields) > 0 {
		s.ops.Alerts.Drift(ep.Host, ep.Template, fmt.Sprintf("capture %s: %s. See `telltale drift` and `telltale diff %s`.",
			events[0].ID, strings.Join(fields, "; "), events[0].ID))
		s.ops.Metrics.Drift(ep.Host)
	}
}

// plainUsersAlert raises the personal-data alert for a capture that sent
// user@domain names in clear: Citrix's username anonymisation is off.
func (s *Server) plainUsersAlert(p analysis.PlainUsers) {
	if s.ops == nil {
		return
	}
	ep, _ := analysis.ParseEndpoint(p.Endpoint)
	names := "names"
	if p.Count == 1 {
		names = "name"
	}
	s.ops.Alerts.PlainUserNames(ep.Host, ep.Template, fmt.Sprintf("capture %s sent %d user@domain %s in clear, e.g. %s. "+
		"Turn on username anonymisation on the license server, and see the review UI's Personal data page.", p.ID, p.Count, names, p.Example))
}

// Licenses turns the config's licenses section into the catalog of
// feature codes and the entitlements the position uses.
func Licenses(cfg configs.Licenses) (*analysis.Catalog, []analysis.Entitlement) {
	parts := func(ns []configs.LicenseName) []analysis.LicensePart {
		var out []analysis.LicensePart
		for _, n := range ns {
			out = append(out, analysis.LicensePart{Code: n.Code, Name: n.Name, Aliases: n.Aliases})
		}
		return out
	}
	var ents []analysis.Entitlement
	for _, e := range cfg.Entitlements {
		ents = append(ents, analysis.Entitlement{License: e.License, Quantity: float64(e.Quantity), Overdraft: float64(e.Overdraft), EndDate: e.EndDate,
			From: "config licenses.entitlements"})
	}
	return analysis.NewCatalog(parts(cfg.Products), parts(cfg.Editions), parts(cfg.Models)), ents
}
