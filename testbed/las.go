package testbed

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Host names the simulated cloud answers for: every host of
// shared/las-reference.md that the License Server reaches on port 443.
var (
	lasHosts = []string{
		"las.cloud.com", "las.citrixcloud.jp", "las.cloud.us",
		// Invented: that the regional api hosts serve the same LAS paths.
		"api.cloud.com", "api-us.cloud.com", "api-eu.cloud.com", "api.citrixcloud.jp",
	}
	trustHosts = []string{"trust.citrixworkspacesapi.net", "trust.citrixnetworkapi.net"}
	cisHost    = "cis.citrix.com"
	// Invented: these only answer the reachability probe.
	cloudHosts = []string{
		"core.citrixworkspacesapi.net", "customers.citrixworkspacesapi.net",
		"licensing.citrixworkspacesapi.net", "notifications.citrixworkspacesapi.net",
	}
)

// Default credentials the LAS accepts at the token endpoint when
// LASOptions.Clients is nil, and that Client sends by default.
const (
	DefaultClientID     = "5e1a7c3d-9b2f-4d68-a0e4-7c1f2b3a9d10"
	DefaultClientSecret = "dGVzdGJlZC1ub3QtYS1yZWFsLXNlY3JldA=="
)

// LASOptions configures the simulated cloud. The zero value serves HTTP/1.1
// and h2, accepts the default credentials and uses the real clock.
type LASOptions struct {
	// DisableHTTP2 offers only http/1.1 by ALPN.
	DisableHTTP2 bool
	// Seed makes tokens and activation ids reproducible.
	Seed int64
	// Clients maps accepted client ids to their secrets; nil accepts
	// DefaultClientID with DefaultClientSecret.
	Clients map[string]string
	// Now stamps exchanges and certificates; nil means time.Now.
	Now func() time.Time
	// Logger receives one debug line per exchange; the zero value discards.
	Logger zerolog.Logger
	// MaxBody bounds the bytes read of one request body; a longer one is
	// answered 400 before it has all arrived. Zero means 64 MiB.
	MaxBody int64
}

// LAS is the simulated Citrix cloud: one TLS listener on 127.0.0.1 that
// answers for every host, routing by Host, and records what it receives.
type LAS struct {
	opts   LASOptions
	now    func() time.Time
	log    zerolog.Logger
	ca     *authority
	ln     net.Listener
	srv    *http.Server
	mux    *http.ServeMux
	wg     sync.WaitGroup
	starts sync.Once

	mu       sync.Mutex
	received []Exchange
	tokens   map[string]string              // token -> client id
	servers  map[string]map[string]lsRecord // ccid -> lsguid -> record
	issued   int                            // tokens issued, for reproducible tokens
}

// NewLAS generates the CA and server certificate and listens on
// 127.0.0.1:0. Serving begins with Start.
func NewLAS(opts LASOptions) (*LAS, error) {
	l := &LAS{
		opts:    opts,
		now:     opts.Now,
		log:     opts.Logger.With().Str("component", "testbed.las").Logger(),
		tokens:  make(map[string]string),
		servers: make(map[string]map[string]lsRecord),
	}
	if l.now == nil {
		l.now = time.Now
	}
	var err error
	if l.ca, err = newAuthority(l.now()); err != nil {
		return nil, fmt.Errorf("testbed: %w", err)
	}
	cert, err := l.ca.issue(l.now(), l.Hosts())
	if err != nil {
		return nil, fmt.Errorf("testbed: %w", err)
	}
	protos := []string{"h2", "http/1.1"}
	var hp http.Protocols
	hp.SetHTTP1(true)
	hp.SetUnencryptedHTTP2(!opts.DisableHTTP2)
	if opts.DisableHTTP2 {
		protos = protos[1:]
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testbed: listen: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: protos, MinVersion: tls.VersionTLS12}
	l.ln = &tapListener{Listener: tcp, cfg: cfg}
	l.mux = l.routes()
	l.srv = &http.Server{
		Handler:           l,
		Protocols:         &hp,
		ConnContext:       connContext,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(l.log, "", 0),
	}
	return l, nil
}

// Start serves in the background until Close.
func (l *LAS) Start() {
	l.starts.Do(func() {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			if err := l.srv.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				l.log.Error().Err(err).Msg("las: serve")
			}
		}()
	})
}

// Close stops the listener and every connection, and waits for serving to end.
func (l *LAS) Close() error {
	l.starts.Do(func() {}) // a later Start does nothing
	err := l.srv.Close()
	if cerr := l.ln.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	l.wg.Wait()
	return err
}

// Addr is the listener's address, "127.0.0.1:port".
func (l *LAS) Addr() string { return l.ln.Addr().String() }

// CAPEM is the PEM of the CA that signed the server certificate.
func (l *LAS) CAPEM() []byte { return slices.Clone(l.ca.certPEM) }

// RootCAs is a pool holding only the LAS CA, for a client that talks to the
// LAS directly.
func (l *LAS) RootCAs() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(l.ca.cert)
	return p
}

// Hosts lists every host name the LAS answers for, sorted.
func (l *LAS) Hosts() []string {
	hs := slices.Concat(lasHosts, trustHosts, []string{cisHost}, cloudHosts)
	slices.Sort(hs)
	return hs
}

// Resolve maps "host:443" to Addr for every host, the form of curl's
// --resolve, for a proxy's upstream resolution or Client.Resolve.
func (l *LAS) Resolve() map[string]string {
	m := make(map[string]string)
	for _, h := range l.Hosts() {
		m[h+":443"] = l.Addr()
	}
	return m
}

// Received returns a copy of the list of exchanges completed so far, in
// order of completion. The byte slices are shared: do not modify them.
func (l *LAS) Received() []Exchange {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.received)
}
