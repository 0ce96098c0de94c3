package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

// TSA asks an RFC 3161 time-stamping authority for timestamps of signed
// checkpoints: a third party's signature that the note existed at a time,
// which whoever holds the log key cannot make afterwards.
type TSA struct {
	URL string
	// Client makes the request; nil means one with a 10-second timeout.
	Client *http.Client
	// Roots, when set, must be where the TSA's certificate chains to
	// (evidence.tsa_ca_file); a response that does not is refused.
	Roots *x509.CertPool
}

// maxTimestamp bounds a TSA's response; tokens are a few KB.
const maxTimestamp = 1 << 20

// Stamp asks the TSA for a timestamp over SHA-256 of msg (the signed
// note, as stored) and returns its response (DER, what openssl calls a
// .tsr), once checked: granted, over msg, with the nonce asked for, and
// signed by the certificate it carries (and chaining to Roots when set).
func (t *TSA) Stamp(ctx context.Context, msg []byte) ([]byte, error) {
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, err
	}
	req, err := timestamp.CreateRequest(bytes.NewReader(msg),
		&timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true, Nonce: nonce})
	if err != nil {
		return nil, fmt.Errorf("timestamp request: %w", err)
	}
	resp, err := t.post(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("timestamp from %s: %w", origin(t.URL), bareErr(err))
	}
	ts, err := timestamp.ParseResponse(resp)
	if err != nil {
		return nil, fmt.Errorf("timestamp from %s: %w", origin(t.URL), err)
	}
	if ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0 {
		return nil, fmt.Errorf("timestamp from %s: the response does not carry the request's nonce", origin(t.URL))
	}
	if _, err := CheckTimestamp(resp, msg, t.Roots); err != nil {
		return nil, fmt.Errorf("timestamp from %s: %w", origin(t.URL), err)
	}
	return resp, nil
}

func (t *TSA) post(ctx context.Context, body []byte) ([]byte, error) {
	client := noRedirects(t.Client)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/timestamp-query")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTimestamp))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s%s", resp.Status, redirectNote(resp))
	}
	return b, nil
}

// noRedirects is c (nil: one with a 10-second timeout) following no
// redirect: a TSA or witness post that answers 3xx has failed, and
// following it could post to anywhere, this host's admin API included.
func noRedirects(c *http.Client) *http.Client {
	out := http.Client{Timeout: 10 * time.Second}
	if c != nil {
		out = *c
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &out
}

// redirectNote says where a 3xx answer pointed, host only, and that it
// was not followed.
func redirectNote(resp *http.Response) string {
	if resp.StatusCode/100 != 3 {
		return ""
	}
	to := "(no Location)"
	if u, err := resp.Location(); err == nil {
		to = origin(u.String())
	}
	return fmt.Sprintf(" to %s, not followed (a post is never redirected)", to)
}

// Stamped is what a checked timestamp says.
type Stamped struct {
	Time   time.Time // the TSA's time (genTime)
	TSA    string    // the signing certificate's subject
	Serial string    // the token's serial number, hex
	// Trusted is true when the TSA's certificate chains to the given roots
	// with the timeStamping usage; false when no roots were given (the
	// token's signature is then checked only against the certificate it
	// carries, which anyone can make).
	Trusted bool
}

// CheckTimestamp checks an RFC 3161 response (as Stamp returns it) against
// the message it should timestamp: SHA-256 imprint of msg, the token's
// signature by the certificate it carries, that certificate's
// timeStamping usage and, with roots, its chain to one of them at the
// timestamp's time. Its errors wrap ErrTimestamp.
func CheckTimestamp(resp, msg []byte, roots *x509.CertPool) (Stamped, error) {
	ts, err := timestamp.ParseResponse(resp)
	if err != nil {
		return Stamped{}, fmt.Errorf("%w: %v", ErrTimestamp, err)
	}
	sum := sha256.Sum256(msg)
	if ts.HashAlgorithm != crypto.SHA256 || !bytes.Equal(ts.HashedMessage, sum[:]) {
		return Stamped{}, fmt.Errorf("%w: it timestamps another message (imprint %x, the checkpoint's SHA-256 is %x)",
			ErrTimestamp, ts.HashedMessage, sum)
	}
	p7, err := pkcs7.Parse(ts.RawToken)
	if err != nil {
		return Stamped{}, fmt.Errorf("%w: %v", ErrTimestamp, err)
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return Stamped{}, fmt.Errorf("%w: the token carries no single signing certificate", ErrTimestamp)
	}
	if !slices.Contains(signer.ExtKeyUsage, x509.ExtKeyUsageTimeStamping) {
		return Stamped{}, fmt.Errorf("%w: the signing certificate %q is not for time stamping", ErrTimestamp, signer.Subject)
	}
	st := Stamped{Time: ts.Time.UTC(), TSA: signer.Subject.String(), Serial: fmt.Sprintf("%x", ts.SerialNumber)}
	if err := p7.Verify(); err != nil {
		return Stamped{}, fmt.Errorf("%w: its signature does not verify: %v", ErrTimestamp, err)
	}
	if roots == nil {
		return st, nil
	}
	err = p7.VerifyWithOpts(x509.VerifyOptions{Roots: roots, CurrentTime: ts.Time,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	if err != nil {
		return Stamped{}, fmt.Errorf("%w: the TSA is not trusted: %v", ErrTimestamp, err)
	}
	st.Trusted = true
	return st, nil
}

// ParseTSARoots reads PEM certificates: the roots a TSA must chain to.
func ParseTSARoots(pemData []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for {
		var b *pem.Block
		b, pemData = pem.Decode(pemData)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("TSA roots: %w", err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, errors.New("TSA roots: no PEM certificate")
	}
	return pool, nil
}
