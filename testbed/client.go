package testbed

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Client is the simulated License Server. Run drives its daily conversation
// with the Citrix cloud, directly (Resolve pointing every host at a LAS) or
// through a forward proxy (ProxyURL). Zero fields mean the documented
// defaults; a Client must not be changed while it runs.
type Client struct {
	// ProxyURL is the forward proxy, reached with CONNECT; nil means direct.
	ProxyURL *url.URL
	// RootCAs verifies servers: the proxy's CA when proxied, the LAS CA
	// (LAS.RootCAs) when direct. Nil means the system roots.
	RootCAs *x509.CertPool
	// Resolve maps "host:443" to the address to dial, as LAS.Resolve
	// returns. Direct mode needs an entry for every host: the client never
	// falls back to DNS, so it cannot reach the real Citrix cloud.
	Resolve map[string]string
	// Seed chooses the site: identities, usage figures, file counts.
	Seed int64
	// Start is the first simulated day (truncated to midnight UTC); zero
	// means DefaultStart.
	Start time.Time
	// ClientID and ClientSecret go to the token service; empty means
	// DefaultClientID and DefaultClientSecret.
	ClientID, ClientSecret string
	// CCID is the Citrix Cloud customer id; empty means DefaultCCID.
	CCID string
	// DisableHTTP2 offers only http/1.1 by ALPN.
	DisableHTTP2 bool
	// Logger receives one debug line per request; the zero value discards.
	Logger zerolog.Logger
}

// DefaultCCID is the customer id a Client uses when CCID is empty.
// Invented, in the shape of a Citrix Cloud customer id.
const DefaultCCID = "tbcust7k2q9x"

// DefaultStart is the first simulated day when Client.Start is zero: a
// Monday after file-based licensing ended (15 April 2026).
var DefaultStart = time.Date(2026, time.May, 4, 0, 0, 0, 0, time.UTC)

const (
	lasBase   = "https://las.cloud.com"
	trustBase = "https://trust.citrixworkspacesapi.net"
	cisBase   = "https://cis.citrix.com"
	lsProduct = "cvad" // Invented: the {product} path segment for the License Server.
)

// userAgent is Invented: nothing public gives the License Server's
// User-Agent. It changes with the version, as a real one would.
func userAgent(version string) string {
	return "CitrixLicensing/" + strings.ReplaceAll(version, " build ", ".") +
		" (Windows NT 10.0; Win64; x64) LicenseServer-LAS"
}

// Run simulates days days of traffic as fast as the server answers and
// returns what was sent. On error the report covers what was sent so far.
func (c *Client) Run(ctx context.Context, days int) (Report, error) {
	r := c.newRun()
	defer r.hc.CloseIdleConnections()
	for day := 1; day <= days; day++ {
		if err := r.day(ctx, day); err != nil {
			return r.report, fmt.Errorf("testbed: day %d: %w", day, err)
		}
	}
	return r.report, nil
}

// run is the state of one Client.Run.
type run struct {
	hc     *http.Client
	log    zerolog.Logger
	site   *site
	start  time.Time
	id     string
	secret string
	bearer string // the day's token
	report Report
}

func (c *Client) newRun() *run {
	r := &run{
		hc:     &http.Client{Transport: c.transport(), Timeout: 30 * time.Second},
		log:    c.Logger.With().Str("component", "testbed.client").Logger(),
		start:  c.Start.UTC().Truncate(24 * time.Hour),
		id:     cmp.Or(c.ClientID, DefaultClientID),
		secret: cmp.Or(c.ClientSecret, DefaultClientSecret),
	}
	if c.Start.IsZero() {
		r.start = DefaultStart
	}
	r.site = newSite(c.Seed, cmp.Or(c.CCID, DefaultCCID), r.start)
	return r
}

// transport keeps connections alive across the whole run, as the License
// Server's service does, and never decompresses: bodies stay as sent.
func (c *Client) transport() *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	resolve, proxied := c.Resolve, c.ProxyURL != nil
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetHTTP2(!c.DisableHTTP2)
	t := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := resolve[addr]; ok {
				addr = to
			} else if !proxied {
				return nil, fmt.Errorf("testbed: no Resolve entry for %s", addr)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:     &tls.Config{RootCAs: c.RootCAs, MinVersion: tls.VersionTLS12},
		Protocols:           &protos,
		DisableCompression:  true,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	if proxied {
		t.Proxy = http.ProxyURL(c.ProxyURL)
	}
	return t
}

// call is one request of the conversation.
type call struct {
	ep       Endpoint
	url      string
	ctype    string
	encoding string // Content-Encoding, when the body is encoded
	body     []byte
	auth     bool
	want     int // the status that means success
}

// do sends c, keeps a copy in the report and returns the response body.
func (r *run) do(ctx context.Context, c call) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(c.body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.ep, err)
	}
	req.Header.Set("User-Agent", userAgent(r.site.version))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", c.ctype)
	if c.encoding != "" {
		req.Header.Set("Content-Encoding", c.encoding)
	}
	if c.auth {
		req.Header.Set("Authorization", "CWSAuth bearer="+r.bearer)
		// Invented for the License Server; Citrix Cloud APIs take it. Set
		// without canonicalising, so HTTP/1.1 carries this exact case.
		req.Header["Citrix-CustomerId"] = []string{r.site.ccid}
	}
	day := &r.report.Days[len(r.report.Days)-1]
	day.Requests[c.ep]++
	sent := Sent{Day: day.Day, Endpoint: c.ep, Method: req.Method, URL: c.url, Header: req.Header.Clone(), Body: c.body}
	resp, err := r.hc.Do(req)
	if err != nil {
		r.report.Sent = append(r.report.Sent, sent)
		return nil, fmt.Errorf("%s: %w", c.ep, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	sent.Status, sent.Response = resp.StatusCode, body
	r.report.Sent = append(r.report.Sent, sent)
	if err != nil {
		return nil, fmt.Errorf("%s: read response: %w", c.ep, err)
	}
	r.log.Debug().Int("day", day.Day).Str("endpoint", string(c.ep)).Int("status", resp.StatusCode).
		Int("bytes", len(c.body)).Str("proto", resp.Proto).Msg("client: sent")
	if resp.StatusCode != c.want {
		return nil, &StatusError{Endpoint: c.ep, Status: resp.StatusCode, Body: string(body)}
	}
	return body, nil
}
