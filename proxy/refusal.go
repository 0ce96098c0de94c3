package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/telltale/telltale/store"
)

// A client that aborts the TLS handshake with the certificate minted for
// an intercepted host has refused Telltale's CA: it trusts another store
// (the user's instead of the machine's, a runtime's own), or pins the
// server's certificate. Every such handshake is recorded as a denied
// capture naming the client's TLS alert, and reported (Event.RefusedTLS:
// alerts, metrics). With RefusalPolicy.Tunnel, after Limit refusals in a
// row by one client of one host, that client's connections to that host
// are passed through uninspected for For (each recorded as a tunnel with
// the reason), as mitmproxy's tls_passthrough addon does, so that a
// license server keeps licensing; then Telltale intercepts once more, and
// one more refusal passes it through again. A reload or ResetPassThroughs
// ends every pass-through at once.

// RefusalPolicy is what follows a client's refusal of the certificate
// (intercept.on_client_refusal).
type RefusalPolicy struct {
	// Tunnel passes the host through uninspected after Limit refusals;
	// false keeps intercepting (and recording each refusal).
	Tunnel bool
	Limit  int           // refusals in a row by one client of one host; 0: 3
	For    time.Duration // how long a pass-through lasts; 0: 1h
}

func (r RefusalPolicy) limit() int {
	if r.Limit <= 0 {
		return 3
	}
	return r.Limit
}

func (r RefusalPolicy) period() time.Duration {
	if r.For <= 0 {
		return time.Hour
	}
	return r.For
}

// PassThrough is one client's host that is passed through uninspected.
type PassThrough struct {
	Client   string    `json:"client"` // IP address
	Host     string    `json:"host"`   // host:port
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
	Refusals int       `json:"refusals"` // in a row, when it started
	Alert    string    `json:"alert"`    // the client's last TLS alert
}

// Refusal sums up one client's refused handshakes with one host since
// serve started (or the last reset).
type Refusal struct {
	Client  string    `json:"client"` // IP address
	Host    string    `json:"host"`   // host:port
	Count   int       `json:"count"`
	InARow  int       `json:"in_a_row"`
	Last    time.Time `json:"last"`
	Alert   string    `json:"alert"`   // the last one's TLS alert
	Capture uint64    `json:"capture"` // the last one's capture id
}

type refusalKey struct {
	client netip.Addr
	host   string // host:port
}

// refusals is the state of RefusalPolicy: refusals in a row and
// pass-throughs, by client and host.
type refusals struct {
	mu   sync.Mutex
	seen map[refusalKey]*Refusal
	pass map[refusalKey]*PassThrough
}

func newRefusals() *refusals {
	return &refusals{seen: map[refusalKey]*Refusal{}, pass: map[refusalKey]*PassThrough{}}
}

func keyOf(client, host, port string) (refusalKey, bool) {
	ap, err := netip.ParseAddrPort(client)
	if err != nil {
		return refusalKey{}, false
	}
	return refusalKey{ap.Addr().Unmap(), net.JoinHostPort(strings.ToLower(host), port)}, true
}

// passing returns the pass-through in force for k. One that expired is
// dropped, leaving its refusals one short of the limit: the next
// connection is intercepted, and one more refusal passes it through again.
func (r *refusals) passing(k refusalKey, now time.Time, pol RefusalPolicy) (PassThrough, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pt, ok := r.pass[k]
	if !ok {
		return PassThrough{}, false
	}
	if !pol.Tunnel || !now.Before(pt.Until) {
		delete(r.pass, k)
		if s := r.seen[k]; s != nil && pol.Tunnel {
			s.InARow = pol.limit() - 1
		}
		return PassThrough{}, false
	}
	return *pt, true
}

// refused counts a refusal; it returns the client's refusals in a row and
// the pass-through it started, if it did.
func (r *refusals) refused(k refusalKey, now time.Time, alert string, pol RefusalPolicy) (int, *PassThrough) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.seen[k]
	if s == nil {
		s = &Refusal{Client: k.client.String(), Host: k.host}
		r.seen[k] = s
	}
	s.Count++
	s.InARow++
	s.Last, s.Alert = now, alert
	if !pol.Tunnel || s.InARow < pol.limit() {
		return s.InARow, nil
	}
	pt := &PassThrough{Client: s.Client, Host: k.host, Since: now, Until: now.Add(pol.period()), Refusals: s.InARow, Alert: alert}
	r.pass[k] = pt
	return s.InARow, pt
}

func (r *refusals) setCapture(k refusalKey, id uint64) {
	r.mu.Lock()
	if s := r.seen[k]; s != nil {
		s.Capture = id
	}
	r.mu.Unlock()
}

// accepted ends a run of refusals: the client completed a handshake.
func (r *refusals) accepted(k refusalKey) {
	r.mu.Lock()
	if s := r.seen[k]; s != nil {
		s.InARow = 0
	}
	r.mu.Unlock()
}

// reset ends every pass-through and run of refusals; it returns how many
// pass-throughs it ended.
func (r *refusals) reset() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.pass)
	clear(r.pass)
	for _, s := range r.seen {
		s.InARow = 0
	}
	return n
}

// PassThroughs lists the hosts passed through uninspected now, by client.
func (p *Proxy) PassThroughs() []PassThrough {
	now := p.now()
	p.refusals.mu.Lock()
	defer p.refusals.mu.Unlock()
	out := []PassThrough{}
	for _, pt := range p.refusals.pass {
		if now.Before(pt.Until) {
			out = append(out, *pt)
		}
	}
	slices.SortFunc(out, func(a, b PassThrough) int { return strings.Compare(a.Client+a.Host, b.Client+b.Host) })
	return out
}

// Refusals lists the refused handshakes since serve started (or the last
// ResetPassThroughs), by client and host, the most recent first.
func (p *Proxy) Refusals() []Refusal {
	p.refusals.mu.Lock()
	defer p.refusals.mu.Unlock()
	out := []Refusal{}
	for _, s := range p.refusals.seen {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Refusal) int { return b.Last.Compare(a.Last) })
	return out
}

// ResetPassThroughs ends every pass-through now (the admin API's DELETE
// /api/refusals/pass-through): the next connections are intercepted. It
// returns how many it ended.
func (p *Proxy) ResetPassThroughs() int {
	n := p.refusals.reset()
	p.log.Info().Int("ended", n).Msg("pass-throughs after refused TLS ended: intercepting again")
	return n
}

// handshakeConn tells whether the server's side of the handshake wrote
// anything (a client that gives up after that has seen the certificate),
// and keeps the last bytes the client sent, for an alert that crypto/tls
// could not read.
type handshakeConn struct {
	net.Conn
	wrote atomic.Bool
	mu    sync.Mutex
	tail  []byte   // the last bytes read, at most 16, in buf
	buf   [32]byte // tail's array: a read allocates nothing
}

func (h *handshakeConn) Write(b []byte) (int, error) {
	h.wrote.Store(true)
	return h.Conn.Write(b)
}

func (h *handshakeConn) Read(b []byte) (int, error) {
	n, err := h.Conn.Read(b)
	if n > 0 {
		h.mu.Lock()
		t := append(h.buf[:len(h.tail)], b[max(0, n-16):n]...) // at most 32 bytes
		h.tail = append(h.buf[:0], t[max(0, len(t)-16):]...)
		h.mu.Unlock()
	}
	return n, err
}

// plainAlert is the description of a plaintext TLS alert record that
// ended what the client sent, or "". OpenSSL (curl) sends its alert about
// a TLS 1.3 server's certificate unencrypted, which crypto/tls then fails
// to decrypt ("bad record MAC").
func (h *handshakeConn) plainAlert() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.tail
	if len(t) < 7 {
		return ""
	}
	r := t[len(t)-7:]
	if r[0] != 21 || r[1] != 3 || r[3] != 0 || r[4] != 2 { // alert, TLS 1.x, length 2
		return ""
	}
	if name, ok := alertNames[r[6]]; ok {
		return name
	}
	return fmt.Sprintf("alert %d", r[6])
}

// alertNames are TLS alert descriptions (RFC 8446 section 6), named as
// crypto/tls names them.
var alertNames = map[byte]string{
	0: "close notify", 10: "unexpected message", 40: "handshake failure", 42: "bad certificate",
	43: "unsupported certificate", 44: "revoked certificate", 45: "expired certificate", 46: "unknown certificate",
	47: "illegal parameter", 48: "unknown certificate authority", 49: "access denied", 50: "error decoding message",
	51: "error decrypting message", 70: "protocol version not supported", 71: "insufficient security level",
	80: "internal error", 90: "user canceled", 112: "unrecognized name", 116: "certificate required",
}

// clientRefusal says whether a failed server handshake is the client's
// refusal, and with what: the TLS alert it sent, or that it hung up or
// broke off without one once it had the certificate. A client that sent
// nothing TLS-like, timed out, or gave up before it had the certificate
// did not refuse it.
func clientRefusal(err error, h *handshakeConn) (string, bool) {
	var oe *net.OpError
	var ne net.Error
	switch {
	case !h.wrote.Load(), errors.As(err, &ne) && ne.Timeout():
		return "", false
	case errors.As(err, &oe) && oe.Op == "remote error":
		return "TLS alert " + strings.TrimPrefix(oe.Err.Error(), "tls: "), true
	case h.plainAlert() != "":
		return "TLS alert " + h.plainAlert(), true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return "no TLS alert (it closed the connection)", true
	}
	return "no TLS alert (" + err.Error() + ")", true
}

// refusedTLS records and reports a client's refused handshake with host,
// and starts a pass-through when the policy says so.
func (p *Proxy) refusedTLS(client string, proc *store.Process, host, port, alert string) {
	target := net.JoinHostPort(host, port)
	pol := p.current().refusal
	now := p.now()
	k, ok := keyOf(client, host, port)
	n, pt := 0, (*PassThrough)(nil)
	if ok {
		n, pt = p.refusals.refused(k, now, alert, pol)
	}
	why := fmt.Sprintf("%s: the client aborted the TLS handshake for %s with %s after Telltale presented the certificate "+
		"its CA issued for the host: the client does not trust the Telltale CA (check the store it trusts, e.g. the "+
		"machine's, not a user's) or pins the server's certificate; %d in a row", store.ClientRefusedTLS, target, alert, n)
	switch {
	case pt != nil:
		why += fmt.Sprintf("; from now until %s this client's connections to %s pass through uninspected "+
			"(intercept.on_client_refusal: tunnel)", pt.Until.UTC().Format(time.RFC3339), target)
	case !pol.Tunnel:
		why += "; every connection is refused the same way until the client trusts the CA " +
			"(intercept.on_client_refusal: tunnel would pass the host through uninspected)"
	}
	rec := &store.Record{Kind: store.KindDenied, Time: now, Client: client, Process: proc, Host: host, Port: port, Error: why,
		Head: &store.Head{Method: http.MethodConnect, URL: target, Proto: "HTTP/1.1"}}
	id, err := p.opts.Recorder.Append(context.Background(), rec, nil)
	if err != nil {
		p.log.Error().Err(err).Msg("could not record a refused TLS handshake")
	}
	if ok {
		p.refusals.setCapture(k, id)
	}
	p.observe(Event{Kind: store.CaptureDenied, ID: id, Host: host, Method: http.MethodConnect, URL: target, Err: why,
		Client: client, RefusedTLS: true, PassThrough: pt != nil, CaptureFailed: err != nil})
	p.log.Warn().Str("client", client).Str("host", host).Str("alert", alert).Int("in_a_row", n).Bool("pass_through", pt != nil).
		Msg("client refused Telltale's certificate: does it trust the Telltale CA (telltale ca export)?")
}

// passReason is the Error of a tunnel record of a passed-through host.
func passReason(pt PassThrough) string {
	return fmt.Sprintf("%s: this client refused Telltale's certificate for %s %d times in a row (the last with %s); "+
		"passed through until %s (intercept.on_client_refusal: tunnel)",
		store.PassedThrough, pt.Host, pt.Refusals, pt.Alert, pt.Until.UTC().Format(time.RFC3339))
}
