package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/alert"
	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/proxy"
	"github.com/telltale/telltale/store"
)

// Server is `telltale serve`: the store, the CA, the proxy and the admin
// API, wired together. Tests start it on port 0 with a temp data dir.
type Server struct {
	cfg *configs.Config
	log zerolog.Logger

	Store *store.Store
	CA    *certs.Authority
	proxy *proxy.Proxy
	admin *http.Server
	// adminTLS is the admin listener's TLS; nil for plain HTTP (admintls.go).
	adminTLS *adminTLS
	ckpt     *checkpointer // signs checkpoints of the log (checkpointer.go)
	// archiver pushes the log to the object-store archive; nil without
	// one (archive.go).
	archiver *archiver
	// measurer samples the License Server's WMI license pools; nil
	// without measure.wmi_interval (measure.go).
	measurer *measurer
	// ops is metrics, alerts, retention and the health routes (ops.go,
	// health.go); started is set once Run has started its loop.
	ops     *operations
	started bool
	// analyzer learns from every finished exchange, off the proxy's
	// path (analysis.go).
	analyzer *analysis.Analyzer

	proxyLn, adminLn net.Listener
	// guard checks the dials of serve's own requests (TSA, witness, alert
	// webhook) as the proxy checks its upstreams (outbound.go).
	guard *proxy.Guard
	// instance is the id this server wrote into DATA/admin.json, "" until
	// then (admininfo.go).
	instance string
	// CACreated is true when this start made the CA.
	CACreated bool
	// review is the admin API, once it is up: a reload hands it the
	// config's licenses.
	review atomic.Pointer[admin.Handler]
}

// Files in the data dir that serve writes for the CLI.
const (
	AdminTokenFile = "admin.token" // 0600: the admin API token
	AdminInfoFile  = "admin.json"  // where the running server's admin API listens (AdminInfo)
)

// Options are what New takes besides the configuration. The zero value
// logs nothing and cannot reload.
type Options struct {
	// Logger receives serve's log; the zero Logger discards it.
	Logger zerolog.Logger
	// Source reads the configuration again for a reload (SIGHUP, the
	// Windows service's paramchange, POST /-/reload), the way the caller
	// read it first; nil refuses reloads.
	Source func() (*configs.Config, error)
	// FirstPrune is how long after Run retention first runs; 0 means a
	// minute.
	FirstPrune time.Duration
	// AlertSink, when set, also gets every alert (alert.Options.Sink):
	// the Windows service's event log.
	AlertSink alert.Sink
}

// New opens everything and listens; it serves nothing until Run.
func New(cfg *configs.Config, o Options) (*Server, error) {
	s := &Server{cfg: cfg, log: o.Logger}
	if err := s.open(o); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) open(o Options) error {
	dir := s.cfg.DataDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	s.guard = proxy.NewGuard(s.cfg.Upstream.AllowLocal)
	s.ops = newOperations(s.cfg, s.log, o.AlertSink, s.guard.Client(outboundTimeout))
	s.ops.source = o.Source
	if o.FirstPrune > 0 {
		s.ops.firstPrune = o.FirstPrune
	}
	var err error
	s.CA, s.CACreated, err = certs.Open(filepath.Join(dir, "ca"), certs.Options{Hosts: s.cfg.Intercept.Hosts, Logger: s.log})
	if err != nil {
		return fmt.Errorf("open CA: %w", err)
	}
	if missing := s.CA.Uncovered(s.cfg.Intercept.Hosts); len(missing) > 0 {
		return configErr(fmt.Errorf("intercept.hosts lists %s, which the CA in %s does not cover: its name constraints were fixed when it was made. "+
			"Run `telltale ca rotate --data %s` (with the same config) to issue a new CA, then trust the certificate it prints",
			strings.Join(missing, ", "), filepath.Join(dir, "ca"), dir))
	}
	// Bodies that hold secrets under evidence.redact_* are sealed as they
	// are logged, so that a redacted bundle proves all of them but those.
	seal := evidence.Redactor{Fields: s.cfg.Evidence.RedactFields, Headers: s.cfg.Evidence.RedactHeaders}.Seal
	s.Store, err = store.Open(dir, store.Options{Logger: s.log, MaxBody: s.cfg.Capture.MaxBodyBytes, WALDirect: s.cfg.Capture.WALDirect,
		OnCommit: s.ops.onCommit, OnIndex: s.ops.Metrics.ObserveIndex, OnSpace: s.ops.onSpace, Seal: seal})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w: is another `telltale serve` running on %s?", err, dir)
	}
	if err != nil {
		return err // store.Open says "open store: ..."
	}
	if s.ckpt, err = openCheckpointer(dir, time.Duration(s.cfg.Evidence.CheckpointInterval), s.Store, s.log); err != nil {
		return fmt.Errorf("open log key: %w", err)
	}
	if err := s.openAnchors(); err != nil {
		return err
	}
	if err := s.openArchiver(); err != nil {
		return err
	}
	s.openMeasurer()
	if err := s.openAnalyzer(); err != nil {
		return err
	}
	if err := s.newProxy(); err != nil {
		return err
	}
	return s.listen()
}

func (s *Server) newProxy() error {
	roots, err := UpstreamRoots(s.cfg)
	if err != nil {
		return err
	}
	parent, err := ParentProxy(s.cfg)
	if err != nil {
		return err
	}
	s.proxy, err = proxy.New(proxy.Options{
		Recorder:        s.Store,
		Minter:          s.CA,
		Intercept:       s.cfg.Intercept.Hosts,
		Deny:            s.cfg.Others == configs.OthersDeny,
		Allow:           s.cfg.AllowedClients(),
		AllowLocal:      s.cfg.Upstream.AllowLocal,
		ClientRefusal:   refusalPolicy(s.cfg),
		RootCAs:         roots,
		ParentProxy:     parent,
		NoProxy:         s.cfg.Upstream.NoProxy,
		Resolve:         s.cfg.Upstream.Resolve,
		MaxBody:         s.cfg.Capture.MaxBodyBytes,
		UpstreamTimeout: time.Duration(s.cfg.Upstream.Timeout),
		Observe:         s.observe,
		Logger:          s.log,

		HeadTimeout:       time.Duration(s.cfg.Limits.HeadTimeout),
		IdleTimeout:       time.Duration(s.cfg.Limits.IdleTimeout),
		MaxClientConns:    s.maxClientConns(), // limits.go
		TunnelIdleTimeout: time.Duration(s.cfg.Limits.TunnelIdleTimeout),
		SenderWait:        senderWait(s.cfg.Clients.SentByWait),
	})
	return err
}

func (s *Server) listen() error {
	var err error
	if s.proxyLn, err = net.Listen("tcp", s.cfg.Listen); err != nil {
		return fmt.Errorf("proxy listen: %w (is the port in use? set listen or --listen)", err)
	}
	if s.adminLn, err = net.Listen("tcp", s.cfg.Admin.Listen); err != nil {
		return fmt.Errorf("admin listen: %w (is the port in use? set admin.listen or --admin)", err)
	}
	// Its own cap, apart from the proxy's (adminconns.go).
	s.adminLn = newAdminListener(s.adminLn, adminMaxConns, s.log)
	s.proxy.Protect(s.adminLn.Addr()) // never reachable through the proxy
	s.guard.Protect(s.proxyLn.Addr()) // nor by serve's own requests
	s.guard.Protect(s.adminLn.Addr())
	token, err := adminToken(s.cfg.DataDir)
	if err != nil {
		return err
	}
	cat, ents := Licenses(s.cfg.LicenseSection()) // the position's license names and entitlements
	h := admin.NewHandler(admin.Options{Store: s.Store, Token: token, Logger: s.log,
		Snapshot: s.Store, Checkpoint: s.ckpt.Sign, Evidence: reviewEvidence{s}, Analysis: s.analyzer,
		Templates: analysis.Templates(s.cfg.Inspect.Templates), Names: analysis.NewNames(AnalysisOptions(s.cfg.Inspect, s.log).Rules),
		SecretHeaders: s.cfg.Evidence.RedactHeaders, SecretFields: s.cfg.Evidence.RedactFields,
		Catalog: cat, Entitlements: ents, EntitlementsPath: filepath.Join(s.cfg.DataDir, admin.EntitlementsFile),
		// Bundles wait under the data dir, which the service locks down
		// (not in C:\Windows\Temp), and the store empties it when it opens.
		TempDir: filepath.Join(s.cfg.DataDir, store.TmpDir), Archive: s.archiveView()})
	// routes adds /healthz, /readyz, /metrics and /-/reload (health.go).
	idle := time.Duration(s.cfg.Limits.IdleTimeout)
	s.admin = &http.Server{Handler: adminBusy(bodyDeadline(s.routes(h, token), idle)), ConnContext: adminConnContext,
		ReadHeaderTimeout: time.Duration(s.cfg.Limits.HeadTimeout), IdleTimeout: idle}
	s.review.Store(h)
	h.RouteRefusals(s.proxy)                  // GET /api/refusals (the UI's banner, doctor)
	s.admin.RegisterOnShutdown(h.Close)       // ends event streams, which never go idle
	if err := s.serveAdminTLS(); err != nil { // and writes DATA/admin.json
		return err
	}
	s.admin.Handler = s.adminHosts().checkHost(s.admin.Handler) // adminhost.go
	return nil
}

// ProxyAddr is where the proxy listens.
func (s *Server) ProxyAddr() string { return s.proxyLn.Addr().String() }

// AdminAddr is where the admin API listens.
func (s *Server) AdminAddr() string { return s.adminLn.Addr().String() }

// Config is the configuration the server started with.
func (s *Server) Config() *configs.Config { return s.cfg }

// Checkpoint signs a checkpoint of the log now if it grew (and anchors
// it), and returns the latest one, as POST /api/checkpoint does.
func (s *Server) Checkpoint(ctx context.Context) ([]byte, error) { return s.ckpt.Sign(ctx) }

// FlushAnalysis waits until the analyzer has caught up with every
// capture recorded so far.
func (s *Server) FlushAnalysis(ctx context.Context) error { return s.analyzer.Flush(ctx) }

// Figures are the figures the analyzer has read from the captures so far
// (FlushAnalysis first for all of them).
func (s *Server) Figures(q analysis.Query) ([]analysis.Point, error) { return s.analyzer.Figures(q) }

// Run serves until ctx ends, then shuts down gracefully: in-flight
// exchanges get up to 10 seconds to finish.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); errc <- s.proxy.Serve(s.proxyLn) }()
	go func() { defer wg.Done(); errc <- serveHTTP(s.admin, s.adminLn) }()
	s.ckpt.start()
	s.ops.start(s.Store)
	s.archiver.start()
	s.measurer.start()
	s.started = true
	s.log.Info().Str("proxy", s.ProxyAddr()).Str("admin", s.AdminAddr()).Str("data", s.cfg.DataDir).Msg("telltale serving")
	if w := s.cfg.ExposedProxy(); w != "" {
		s.log.Warn().Str("component", "serve").Msg(w)
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = errors.Join(err, s.proxy.Shutdown(sctx), s.admin.Shutdown(sctx))
	s.measurer.stop()
	err = errors.Join(err, s.ckpt.Close()) // after the proxy drained: the last checkpoint covers every exchange
	s.archiver.stop()                      // the next start pushes that checkpoint
	s.analyzer.Close()                     // raises no alert after the alerts below are delivered; it catches up at next start
	s.ops.close(true)                      // delivers the alerts still queued
	wg.Wait()
	s.log.Info().Msg("telltale stopped")
	return err
}

// observe hands each proxy event to operations and to the analyzer, on
// the proxy's goroutine: each must be cheap.
func (s *Server) observe(e proxy.Event) {
	s.ops.observe(e)
	s.analyze(e)
}

func serveHTTP(srv *http.Server, ln net.Listener) error {
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close releases the store and listeners. Call it after Run returns.
func (s *Server) Close() error {
	var errs []error
	for _, ln := range []net.Listener{s.proxyLn, s.adminLn} {
		if ln != nil {
			ln.Close()
		}
	}
	s.removeAdminInfo() // only if it is still ours (admininfo.go)
	if s.ops != nil {
		s.ops.close(s.started)
	}
	s.analyzer.Close() // before the store it reads
	s.archiver.stop()
	s.measurer.stop()
	if s.Store != nil {
		errs = append(errs, s.Store.Close())
	}
	return errors.Join(errs...)
}

// adminToken reads the admin token, creating it (0600) on first start.
func adminToken(dir string) (string, error) {
	path := filepath.Join(dir, AdminTokenFile)
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("admin token: %w", err)
	}
	var raw [32]byte
	rand.Read(raw[:])
	token := hex.EncodeToString(raw[:])
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return token, nil
}

// senderWait is proxy.Options.SenderWait for clients.sent_by_wait, whose
// 0s turns the lookup off.
func senderWait(d configs.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return time.Duration(d)
}
