package certs

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

const (
	defaultLeafValidity = 7 * 24 * time.Hour
	defaultCAYears      = 5

	// maxLeafValidity: macOS and iOS reject TLS server certificates valid
	// for more than 825 days, even under a root the user installed.
	// https://support.apple.com/en-us/HT210176 (mkcert stays below it too).
	maxLeafValidity = 825 * 24 * time.Hour
)

// Options configure Open and Rotate. The zero value of every field except
// Hosts means a sensible default.
type Options struct {
	// Hosts are the intercept patterns from config: exact names
	// ("las.cloud.com") and "*.suffix" patterns ("*.citrixworkspacesapi.net").
	// They fix the CA's X.509 Name Constraints when the CA is created; a
	// loaded CA keeps the constraints it was made with (see Uncovered).
	Hosts []string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LeafValidity is how long minted leaves last; 0 means 7 days. It is
	// capped at 825 days and never extends beyond the CA's NotAfter.
	LeafValidity time.Duration
	// CAValidity is how long a new CA lasts; 0 means 5 years.
	CAValidity time.Duration
	// Logger receives lifecycle events; the zero value discards them.
	Logger zerolog.Logger
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LeafValidity <= 0 {
		o.LeafValidity = defaultLeafValidity
	}
	o.LeafValidity = min(o.LeafValidity, maxLeafValidity)
	o.Logger = o.Logger.With().Str("component", "certs").Logger()
	return o
}

func (o Options) caNotAfter(now time.Time) time.Time {
	if o.CAValidity <= 0 {
		return now.AddDate(defaultCAYears, 0, 0)
	}
	return now.Add(o.CAValidity)
}

// Authority is a loaded interception CA. It is safe for concurrent use.
type Authority struct {
	dir          string
	cert         *x509.Certificate
	certPEM      []byte
	key          crypto.Signer
	now          func() time.Time
	leafValidity time.Duration
	log          zerolog.Logger

	mu      sync.Mutex
	leaves  map[string]*tls.Certificate // by normalized host
	pending map[string]*minting         // hosts being minted right now
}

// Open loads the CA from dir (ca.pem and ca-key.pem) or, when both are
// absent, creates one constrained to opts.Hosts and reports created=true.
// dir is created 0700 if needed. A loaded CA is refused if its key is
// readable by others, does not match the certificate, or the CA is expired
// or unconstrained.
func Open(dir string, opts Options) (a *Authority, created bool, err error) {
	opts = opts.withDefaults()
	if err := ensureDir(dir); err != nil {
		return nil, false, fmt.Errorf("open ca: %w", err)
	}
	warnLooseDir(dir, opts.Logger)
	haveCert, err := exists(filepath.Join(dir, caCertFile))
	if err != nil {
		return nil, false, fmt.Errorf("open ca: %w", err)
	}
	haveKey, err := exists(filepath.Join(dir, caKeyFile))
	if err != nil {
		return nil, false, fmt.Errorf("open ca: %w", err)
	}
	switch {
	case haveCert && haveKey:
		m, err := loadCA(dir, opts.Now())
		if err != nil {
			return nil, false, fmt.Errorf("open ca: %w", err)
		}
		a := newAuthority(dir, m, opts)
		if missing := a.Uncovered(opts.Hosts); len(missing) > 0 {
			a.log.Warn().Strs("patterns", missing).Str("ca", a.certPath()).
				Msg("certs: the CA's name constraints do not cover these intercept hosts; rotate the CA to add them")
		}
		return a, false, nil
	case !haveCert && !haveKey:
		m, err := newCA(opts)
		if err != nil {
			return nil, false, fmt.Errorf("create ca: %w", err)
		}
		if err := m.save(dir); err != nil {
			return nil, false, fmt.Errorf("create ca: %w", err)
		}
		a := newAuthority(dir, m, opts)
		a.logCreated("certs: created interception CA")
		return a, true, nil
	default:
		return nil, false, fmt.Errorf("open ca: %s holds only one of %s and %s; restore the other or move it away",
			dir, caCertFile, caKeyFile)
	}
}

// Rotate moves the current CA (both files; the key stays 0600) into
// dir/retired/<UTC time like 20261127T101500Z>/, so past captures stay
// explainable, and creates a new CA from opts.Hosts. The new CA is made
// before anything is moved, so invalid hosts leave dir untouched.
func Rotate(dir string, opts Options) (*Authority, error) {
	opts = opts.withDefaults()
	if err := ensureDir(dir); err != nil {
		return nil, fmt.Errorf("rotate ca: %w", err)
	}
	m, err := newCA(opts)
	if err != nil {
		return nil, fmt.Errorf("rotate ca: %w", err)
	}
	retiredTo, err := retire(dir, opts.Now())
	if err != nil {
		return nil, fmt.Errorf("rotate ca: %w", err)
	}
	if err := m.save(dir); err != nil {
		return nil, fmt.Errorf("rotate ca: %w", err)
	}
	a := newAuthority(dir, m, opts)
	a.log.Info().Str("retired_to", retiredTo).Msg("certs: retired previous CA")
	a.logCreated("certs: rotated interception CA")
	return a, nil
}

// retire moves the CA files in dir, if any, into a fresh directory under
// dir/retired and returns its path ("" when there was nothing to move).
func retire(dir string, now time.Time) (string, error) {
	var files []string
	for _, name := range []string{caCertFile, caKeyFile} {
		ok, err := exists(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		if ok {
			files = append(files, name)
		}
	}
	if len(files) == 0 {
		return "", nil
	}
	parent := filepath.Join(dir, retiredDir)
	if err := ensureDir(parent); err != nil {
		return "", err
	}
	to, err := mkdirUnique(filepath.Join(parent, now.UTC().Format("20060102T150405Z")))
	if err != nil {
		return "", err
	}
	for _, name := range files {
		if err := os.Rename(filepath.Join(dir, name), filepath.Join(to, name)); err != nil {
			return "", fmt.Errorf("retire %s: %w", name, err)
		}
	}
	if err := os.Chmod(filepath.Join(to, caKeyFile), keyPerm); err != nil && !os.IsNotExist(err) {
		return "", fmt.Errorf("retire %s: %w", caKeyFile, err)
	}
	return to, syncDir(dir)
}

// mkdirUnique creates path 0700, or path-2, path-3... if it exists, so two
// rotations within a second do not collide.
func mkdirUnique(path string) (string, error) {
	for i := 1; i <= 100; i++ {
		p := path
		if i > 1 {
			p += "-" + strconv.Itoa(i)
		}
		err := os.Mkdir(p, dirPerm)
		if err == nil {
			return p, nil
		}
		if !os.IsExist(err) {
			return "", err
		}
	}
	return "", fmt.Errorf("create %s: too many retired CAs with this timestamp", path)
}

func newAuthority(dir string, m *caMaterial, opts Options) *Authority {
	return &Authority{
		dir:          dir,
		cert:         m.cert,
		certPEM:      m.certPEM,
		key:          m.key,
		now:          opts.Now,
		leafValidity: opts.LeafValidity,
		log:          opts.Logger,
		leaves:       make(map[string]*tls.Certificate),
		pending:      make(map[string]*minting),
	}
}

func (a *Authority) logCreated(msg string) {
	a.log.Info().
		Str("ca", a.certPath()).
		Str("serial", a.cert.SerialNumber.Text(16)).
		Strs("permitted_dns", a.cert.PermittedDNSDomains).
		Time("not_after", a.cert.NotAfter).
		Msg(msg)
}

// warnLooseDir logs when an existing CA directory is open to other users.
func warnLooseDir(dir string, log zerolog.Logger) {
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 && runtime.GOOS != "windows" {
		log.Warn().Str("dir", dir).Str("mode", fmt.Sprintf("%04o", fi.Mode().Perm())).
			Msg("certs: CA directory is accessible to other users; chmod 700 it")
	}
}

// Certificate returns the parsed CA certificate. Callers must not modify it.
func (a *Authority) Certificate() *x509.Certificate { return a.cert }

// CertPEM returns the CA certificate as PEM, as stored in ca.pem.
func (a *Authority) CertPEM() []byte { return bytes.Clone(a.certPEM) }

// CertDER returns the CA certificate in DER form.
func (a *Authority) CertDER() []byte { return bytes.Clone(a.cert.Raw) }

// KeyPath returns the path of the CA key file, for messages. The key itself
// is never exposed.
func (a *Authority) KeyPath() string { return filepath.Join(a.dir, caKeyFile) }

func (a *Authority) certPath() string { return filepath.Join(a.dir, caCertFile) }

// Permits reports whether the CA's name constraints, as parsed from its
// certificate, allow the DNS name host. IP addresses and malformed names are
// never permitted, and a CA without permitted DNS constraints permits
// nothing (fail closed; Open refuses such a CA anyway).
func (a *Authority) Permits(host string) bool {
	name, err := normalizeHost(host)
	return err == nil && a.permits(name)
}

func (a *Authority) permits(name string) bool {
	if len(a.cert.PermittedDNSDomains) == 0 {
		return false
	}
	for _, e := range a.cert.ExcludedDNSDomains {
		if matchDomain(name, e) {
			return false
		}
	}
	for _, p := range a.cert.PermittedDNSDomains {
		if matchDomain(name, p) {
			return true
		}
	}
	return false
}

// Uncovered returns, in order, the config patterns the CA's constraints do
// not cover: an exact name must be permitted, and for "*.x.y" every
// subdomain of x.y must be. Malformed patterns are reported too, since no
// CA covers them.
func (a *Authority) Uncovered(patterns []string) []string {
	var out []string
	for _, p := range patterns {
		if !a.covers(p) {
			out = append(out, p)
		}
	}
	return out
}

func (a *Authority) covers(pattern string) bool {
	d, err := patternSubtree(pattern)
	if err != nil {
		return false
	}
	if strings.HasPrefix(pattern, "*.") {
		return permitsSubtree(d, a.cert.PermittedDNSDomains, a.cert.ExcludedDNSDomains)
	}
	return a.permits(d)
}
