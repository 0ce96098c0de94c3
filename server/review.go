package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/store"
)

// reviewEvidence is the review UI's verify and export: the same calls, on
// the same store and key, as `telltale verify` and `telltale export`.
type reviewEvidence struct {
	s *Server
}

var _ admin.Evidence = reviewEvidence{}

func (e reviewEvidence) Key() string {
	key, _ := logPub(e.s.cfg.DataDir)
	return key
}

// Export signs a checkpoint if the log grew, then writes the bundle with
// the options `telltale export` builds from its flags.
func (e reviewEvidence) Export(ctx context.Context, w io.Writer, sel evidence.Selection) (*evidence.Manifest, int, error) {
	opts, err := uiExportOptions(sel, e.s.cfg)
	if err != nil {
		return nil, 0, err
	}
	if _, err := e.s.ckpt.Sign(ctx); err != nil && !errors.Is(err, evidence.ErrEmptyLog) {
		return nil, 0, fmt.Errorf("export: sign a checkpoint of the log first: %w", err)
	}
	opts.Signer, opts.Key = e.s.ckpt.signer, e.Key()
	if err := e.s.analyzer.Flush(ctx); err != nil {
		return nil, 0, fmt.Errorf("export: wait for the analysis: %w", err)
	}
	section := e.s.liveConfig().LicenseSection() // as last reloaded
	cat, ents := Licenses(section)
	entered, err := admin.ReadEntitlements(filepath.Join(e.s.cfg.DataDir, admin.EntitlementsFile))
	if err != nil {
		return nil, 0, fmt.Errorf("export: %w", err)
	}
	nums, err := analysis.CaptureNumbers(e.s.Store)
	if err != nil {
		return nil, 0, fmt.Errorf("export: number the captures: %w", err)
	}
	opts.Attach = ReportAttacher(e.s.analyzer, e.s.cfg, BundleReport{Catalog: cat, Entitlements: admin.MergeEntitlements(ents, entered), Numbers: nums,
		Licenses: &section})
	return evidence.Export(w, e.s.Store, opts)
}

// Verify checks the whole live store with the log key.
func (e reviewEvidence) Verify(context.Context) (*evidence.Report, error) {
	v, err := evidence.ParseKey(e.Key())
	if err != nil {
		return nil, fmt.Errorf("verify: log key: %w", err)
	}
	return evidence.Verify(e.s.Store, evidence.VerifyOptions{Verifier: v, TSARoots: e.s.ckpt.anchors.tsaRoots()})
}

// serveAdminTLS puts TLS on the admin listener when it is configured, and
// records how to reach it in DATA/admin.json for the CLI.
func (s *Server) serveAdminTLS() error {
	t, err := loadAdminTLS(s.cfg)
	if err != nil {
		return err
	}
	info := AdminInfo{Addr: s.adminLn.Addr().String(), URL: "http://" + s.adminLn.Addr().String()}
	if t != nil {
		s.adminLn = tls.NewListener(s.adminLn, t.config)
		info.URL = "https://" + net.JoinHostPort(t.serverName, port(info.Addr))
		info.CertFile, info.ServerName, info.CertSHA256 = t.certFile, t.serverName, t.sha256
		s.adminTLS = t
	}
	return s.publishAdminInfo(info) // admininfo.go
}

// DialAddr is where a client on this machine reaches a listener: loopback
// when it listens on every address.
func DialAddr(addr string) string {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip, err := netip.ParseAddr(host); err != nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, p)
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// uiExportOptions are the options `telltale export` builds from its
// flags (exportFlags.options), from the UI's selection and serve's config.
func uiExportOptions(sel evidence.Selection, cfg *configs.Config) (evidence.ExportOptions, error) {
	var o evidence.ExportOptions
	if len(sel.IDs) > 0 && (sel.Host != "" || sel.Since != "" || sel.Until != "") {
		return o, errors.New("ids select captures by id: use them without host, since and until")
	}
	o.Selection = evidence.Selection{Host: sel.Host, Endpoint: sel.Endpoint, IDs: sel.IDs, Redact: sel.Redact}
	for _, t := range []struct {
		in  string
		s   *string
		t   *time.Time
		key string
	}{{sel.Since, &o.Selection.Since, &o.Since, "since"}, {sel.Until, &o.Selection.Until, &o.Until, "until"}} {
		if t.in == "" {
			continue
		}
		parsed, err := time.Parse(time.RFC3339Nano, t.in)
		if err != nil {
			return o, fmt.Errorf("%s %q: want an RFC 3339 time", t.key, t.in)
		}
		*t.t, *t.s = parsed, parsed.UTC().Format(store.TimeFormat)
	}
	if sel.Redact {
		o.Redactor = evidence.Redactor{Fields: cfg.Evidence.RedactFields, Headers: cfg.Evidence.RedactHeaders}
	}
	if sel.Pseudonymise {
		p, err := Pseudonymiser(cfg.DataDir)
		if err != nil {
			return o, err
		}
		o.Pseudonymise = p
	}
	o.Tool = ToolVersion()
	return o, nil
}
