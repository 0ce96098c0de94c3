package testbed

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/digitorus/timestamp"
)

// TSA is a simulated RFC 3161 time-stamping authority on 127.0.0.1, with
// its own in-memory root and a TSA certificate (critical timeStamping
// extended key usage, as RFC 3161 2.3 requires). Simulated: a real
// deployment uses a public or corporate TSA (evidence.tsa_url); this one
// exists so that tests and the demo produce timestamped checkpoints
// without a network. It answers POST application/timestamp-query.
type TSA struct {
	root    *x509.Certificate
	rootPEM []byte
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	now     func() time.Time

	ln  net.Listener
	srv *http.Server

	mu      sync.Mutex // guards what follows
	down    bool       // answer 503, as an unreachable TSA
	granted int        // timestamps issued
}

// TSAOptions configure NewTSA.
type TSAOptions struct {
	// Now is the TSA's clock; nil means time.Now.
	Now func() time.Time
	// Identity is what an earlier TSA's Identity returned: the same root,
	// certificate and key, so that timestamps of earlier runs still chain
	// to the root a user was given. nil makes new ones.
	Identity []byte
}

// NewTSA makes (or loads) the TSA's root and certificate and listens on a
// loopback port; Start serves.
func NewTSA(opts TSAOptions) (*TSA, error) {
	t := &TSA{now: opts.Now}
	if t.now == nil {
		t.now = time.Now
	}
	var err error
	if opts.Identity != nil {
		err = t.load(opts.Identity)
	} else {
		err = t.issue(time.Now())
	}
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("tsa listen: %w", err)
	}
	t.ln = ln
	t.srv = &http.Server{Handler: t, ReadHeaderTimeout: 5 * time.Second}
	return t, nil
}

// Identity is the TSA's root, certificate and signing key in PEM, for
// TSAOptions.Identity. It holds a private key: keep it with the test data
// it timestamps, never anywhere real.
func (t *TSA) Identity() []byte {
	der, _ := x509.MarshalECPrivateKey(t.key)
	b := slices.Clone(t.rootPEM)
	b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: t.cert.Raw})...)
	return append(b, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})...)
}

// load reads what Identity wrote.
func (t *TSA) load(id []byte) error {
	var certs []*x509.Certificate
	for b, rest := pem.Decode(id); b != nil; b, rest = pem.Decode(rest) {
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return fmt.Errorf("tsa identity: %w", err)
			}
			certs = append(certs, c)
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(b.Bytes)
			if err != nil {
				return fmt.Errorf("tsa identity: %w", err)
			}
			t.key = k
		}
	}
	if len(certs) != 2 || t.key == nil {
		return errors.New("tsa identity: want a root, a TSA certificate and its key")
	}
	t.root, t.cert = certs[0], certs[1]
	t.rootPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: t.root.Raw})
	return nil
}

// issue makes the root and the TSA certificate, valid from a year before
// now (the demo's clock runs in the past) to a year after.
func (t *TSA) issue(now time.Time) error {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl, err := certTemplate(now, &rootKey.PublicKey)
	if err != nil {
		return err
	}
	tmpl.Subject = pkix.Name{Organization: []string{"Telltale testbed"}, CommonName: "Telltale testbed simulated TSA root"}
	tmpl.NotBefore, tmpl.NotAfter = now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0)
	tmpl.KeyUsage, tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.MaxPathLenZero = x509.KeyUsageCertSign, true, true, true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		return fmt.Errorf("tsa root: %w", err)
	}
	if t.root, err = x509.ParseCertificate(der); err != nil {
		return err
	}
	t.rootPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if t.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return err
	}
	leaf, err := certTemplate(now, &t.key.PublicKey)
	if err != nil {
		return err
	}
	leaf.Subject = pkix.Name{Organization: []string{"Telltale testbed"}, CommonName: "Telltale testbed simulated TSA"}
	leaf.NotBefore, leaf.NotAfter = tmpl.NotBefore, tmpl.NotAfter
	leaf.KeyUsage = x509.KeyUsageDigitalSignature
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}}) // id-kp-timeStamping
	leaf.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}}
	der, err = x509.CreateCertificate(rand.Reader, leaf, t.root, &t.key.PublicKey, rootKey)
	if err != nil {
		return fmt.Errorf("tsa certificate: %w", err)
	}
	t.cert, err = x509.ParseCertificate(der)
	return err
}

// Start serves in the background until Close.
func (t *TSA) Start() { go t.srv.Serve(t.ln) }

// Close stops the TSA.
func (t *TSA) Close() error { return t.srv.Close() }

// URL is where to POST timestamp queries.
func (t *TSA) URL() string { return "http://" + t.ln.Addr().String() + "/tsa" }

// RootPEM is the TSA's root certificate (for evidence.tsa_ca_file or
// verify --tsa-ca).
func (t *TSA) RootPEM() []byte { return slices.Clone(t.rootPEM) }

// SetDown makes the TSA answer 503 (true) or work again (false).
func (t *TSA) SetDown(down bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.down = down
}

// Granted is how many timestamps the TSA issued.
func (t *TSA) Granted() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.granted
}

// ServeHTTP answers one timestamp query.
func (t *TSA) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t.mu.Lock()
	down := t.down
	t.mu.Unlock()
	if down {
		http.Error(w, "simulated TSA is down", http.StatusServiceUnavailable)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
		http.Error(w, "POST an application/timestamp-query", http.StatusBadRequest)
		return
	}
	resp, err := t.respond(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	t.mu.Lock()
	t.granted++
	t.mu.Unlock()
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(resp)
}

func (t *TSA) respond(body io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, 64<<10))
	if err != nil {
		return nil, err
	}
	req, err := timestamp.ParseRequest(b)
	if err != nil {
		return nil, fmt.Errorf("not a timestamp query: %w", err)
	}
	if req.HashAlgorithm != crypto.SHA256 {
		return nil, errors.New("only SHA-256 imprints")
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:     req.HashAlgorithm,
		HashedMessage:     req.HashedMessage,
		Time:              t.now().UTC(),
		Nonce:             req.Nonce,
		Policy:            asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, // invented: a simulated policy
		AddTSACertificate: req.Certificates,
	}
	return ts.CreateResponseWithOpts(t.cert, t.key, crypto.SHA256)
}
