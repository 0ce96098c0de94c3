package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elazarl/goproxy"
	"github.com/rs/zerolog"

	"github.com/telltale/telltale/proxy/owner"
	"github.com/telltale/telltale/store"
)

// Recorder is where captures go. *store.Store implements it.
type Recorder interface {
	NewBody(limit int64) *store.Body
	// Append returns once r is durable: requests go upstream only then.
	Append(ctx context.Context, r *store.Record, body *store.Body) (uint64, error)
	// AppendLazy may delay the commit a little so that r shares it with
	// the next Append: for response records, which nobody waits on.
	AppendLazy(ctx context.Context, r *store.Record, body *store.Body) (uint64, error)
}

// Minter gives the TLS configuration that impersonates an intercepted host
// towards the client. *certs.Authority implements it.
type Minter interface {
	ServerConfig(host string) *tls.Config
}

// Options configure a Proxy. Zero values mean the documented defaults.
type Options struct {
	Recorder Recorder // required
	Minter   Minter   // required

	// Intercept lists exact host names and "*.suffix" patterns whose TLS is
	// opened and recorded.
	Intercept []string
	// Deny refuses hosts that are not intercepted; otherwise they are
	// tunnelled uninspected.
	Deny bool
	// Allow lists the client networks that may use the proxy. Empty refuses
	// every client: Telltale is never an open proxy.
	Allow []netip.Prefix
	// AllowLocal names upstreams on this host (loopback, link-local, its
	// own addresses) that may be reached anyway, as "host:port"; all
	// others are refused (guard.go).
	AllowLocal []string
	// ClientRefusal says what follows a client's refusal of the
	// certificate minted for an intercepted host (refusal.go); the zero
	// value records each refusal and keeps intercepting.
	ClientRefusal RefusalPolicy

	RootCAs     *x509.CertPool    // upstream roots; nil: the system roots
	ParentProxy *url.URL          // optional parent proxy, http:// or https://; a user in it means basic auth
	NoProxy     []string          // destinations reached directly, not through ParentProxy (NO_PROXY entries)
	Resolve     map[string]string // "host:port" -> "ip:port" dial overrides

	MaxBody         int64         // stored bytes per body; 0: 64 MiB
	UpstreamTimeout time.Duration // one upstream round trip, response body included; 0: 60s
	HeadTimeout     time.Duration // read a request head; 0: 30s
	IdleTimeout     time.Duration // keep-alive idle and body read stall; 0: 120s

	// MaxClientConns caps the open client connections; past it a new one
	// gets 503 and is closed. 0: 1024.
	MaxClientConns int
	// TunnelIdleTimeout closes a tunnel with no byte either way for this
	// long. 0: 10m.
	TunnelIdleTimeout time.Duration

	// SenderWait bounds how long the record that opens a capture waits
	// for the lookup of the process on this host that sent it, counted
	// from the connection's accept (sender.go); 0: DefaultSenderWait;
	// negative: no lookup, and no process recorded.
	SenderWait time.Duration

	// Observe, when set, receives every finished exchange, tunnel and
	// refusal (metrics, alerts).
	Observe func(Event)

	Logger zerolog.Logger
	Now    func() time.Time // nil: time.Now

	lookupIP func(ctx context.Context, host string) ([]netip.Addr, error) // tests: the guard's DNS; nil: the system's
	// tests: the sender lookup (sender.go); nil: owner.Lookup and owner.OnThisHost
	lookupOwner func(ctx context.Context, client, server netip.AddrPort) store.Process
	onThisHost  func(client, local netip.Addr) bool
}

// Proxy is the forward proxy: goproxy parses proxy requests and CONNECT,
// and Telltale takes over each connection it intercepts or tunnels.
type Proxy struct {
	opts     Options
	log      zerolog.Logger
	now      func() time.Time
	gp       *goproxy.ProxyHttpServer
	server   *http.Server
	upstream *upstreamPool          // intercepted and plain-HTTP requests
	dialer   *Dialer                // tunnels' upstream connections
	policy   atomic.Pointer[policy] // see Reload
	guard    *guard                 // refuses upstreams on this host (guard.go)
	refusals *refusals              // clients that refused the certificate (refusal.go)
	// senderSlots holds a token per sender lookup running (sender.go).
	senderSlots chan struct{}

	// conns tracks hijacked connections, which http.Server.Shutdown does
	// not see.
	mu      sync.Mutex
	conns   map[*conn]struct{}
	closing bool
	wg      sync.WaitGroup // hijacked connections and pending capture appends
}

// New builds a proxy from opts.
func New(opts Options) (*Proxy, error) {
	if opts.Recorder == nil || opts.Minter == nil {
		return nil, errors.New("proxy: Recorder and Minter are required")
	}
	setDefaults(&opts)
	p := &Proxy{
		opts:  opts,
		log:   opts.Logger.With().Str("component", "proxy").Logger(),
		now:   opts.Now,
		conns: make(map[*conn]struct{}),

		senderSlots: make(chan struct{}, maxSenderLookups),
	}
	p.Reload(Policy{Intercept: opts.Intercept, Deny: opts.Deny, Allow: opts.Allow, AllowLocal: opts.AllowLocal,
		Refusal: opts.ClientRefusal})
	p.guard = newGuard(opts.lookupIP, opts.Now)
	p.refusals = newRefusals()
	p.dialer = &Dialer{Parent: opts.ParentProxy, NoProxy: opts.NoProxy, Resolve: opts.Resolve, RootCAs: opts.RootCAs, Vet: p.vet}
	t := newTransport(opts)
	p.guardTransport(t)
	p.upstream = newUpstreamPool(t, upstreamIdle)
	p.gp = p.newGoproxy()
	p.server = &http.Server{
		Handler:           p,
		ReadHeaderTimeout: opts.HeadTimeout,
		IdleTimeout:       opts.IdleTimeout,
		MaxHeaderBytes:    maxHeadBytes,
		ErrorLog:          newStdLogger(p.log),
		ConnContext:       connContext, // malformed.go, sender.go
	}
	return p, nil
}

func setDefaults(o *Options) {
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 20
	}
	if o.UpstreamTimeout <= 0 {
		o.UpstreamTimeout = 60 * time.Second
	}
	if o.HeadTimeout <= 0 {
		o.HeadTimeout = 30 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 120 * time.Second
	}
	if o.MaxClientConns <= 0 {
		o.MaxClientConns = 1024
	}
	if o.TunnelIdleTimeout <= 0 {
		o.TunnelIdleTimeout = 10 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SenderWait == 0 {
		o.SenderWait = DefaultSenderWait
	}
	if o.lookupOwner == nil {
		o.lookupOwner = owner.Lookup
	}
	if o.onThisHost == nil {
		o.onThisHost = owner.OnThisHost
	}
}

func (p *Proxy) newGoproxy() *goproxy.ProxyHttpServer {
	gp := goproxy.NewProxyHttpServer()
	gp.Logger = newStdLogger(p.log)
	gp.KeepAcceptEncoding = true
	gp.KeepDestinationHeaders = true
	gp.NonproxyHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "telltale: this is a forward proxy; send absolute-form requests (http://host/path) or CONNECT", http.StatusBadRequest)
	})
	gp.OnRequest().HandleConnectFunc(p.handleConnect)
	gp.OnRequest().DoFunc(p.handlePlain)
	return gp
}

// Serve accepts proxy clients on l until Shutdown.
func (p *Proxy) Serve(l net.Listener) error {
	p.Protect(l.Addr())
	err := p.server.Serve(&limitListener{Listener: l, max: int64(p.opts.MaxClientConns), log: p.log, p: p})
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ServeHTTP refuses clients outside the allow list, then hands the request
// to goproxy.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dispatched(r) // malformed.go
	if !p.allowed(r.RemoteAddr) {
		p.deny(r, "client not in clients.allow")
		w.Header().Set("Connection", "close")
		http.Error(w, "telltale: your address is not allowed to use this proxy (clients.allow)", http.StatusForbidden)
		return
	}
	if r.ContentLength != 0 {
		r.Body = &stallBody{ReadCloser: r.Body, rc: http.NewResponseController(w), timeout: p.opts.IdleTimeout}
	}
	p.gp.ServeHTTP(w, r)
}

func (p *Proxy) allowed(remote string) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	for _, pre := range p.current().allow {
		if pre.Contains(addr) {
			return true
		}
	}
	return false
}

// Shutdown stops accepting, lets in-flight exchanges finish until ctx ends,
// then cuts the rest (their captures record the interruption).
func (p *Proxy) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	p.closing = true
	for c := range p.conns {
		c.closeIfIdle()
	}
	p.mu.Unlock()
	err := p.server.Shutdown(ctx)
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		p.mu.Lock()
		for c := range p.conns {
			c.abort()
		}
		p.mu.Unlock()
		<-done
		err = errors.Join(err, fmt.Errorf("shutdown: %w: in-flight exchanges were cut", ctx.Err()))
	}
	p.upstream.Close()
	return err
}

func (p *Proxy) track(c *conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return false
	}
	p.conns[c] = struct{}{}
	p.wg.Add(1)
	return true
}

func (p *Proxy) untrack(c *conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	p.wg.Done()
}

func (p *Proxy) isClosing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closing
}

// hostMatcher matches exact names and "*.suffix" patterns, case-insensitively.
type hostMatcher struct {
	exact    map[string]bool
	suffixes []string // ".suffix"
}

func newHostMatcher(patterns []string) hostMatcher {
	m := hostMatcher{exact: make(map[string]bool)}
	for _, p := range patterns {
		p = strings.ToLower(strings.TrimSuffix(p, "."))
		if s, ok := strings.CutPrefix(p, "*"); ok {
			m.suffixes = append(m.suffixes, s)
		} else {
			m.exact[p] = true
		}
	}
	return m
}

func (m hostMatcher) match(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if m.exact[host] {
		return true
	}
	for _, s := range m.suffixes {
		if strings.HasSuffix(host, s) && len(host) > len(s) {
			return true
		}
	}
	return false
}
