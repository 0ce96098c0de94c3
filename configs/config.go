// Package configs holds Telltale's configuration: the shipped example
// configs/telltale.yaml, which is also the embedded default that
// `telltale serve` runs with no -c, and the code that parses and checks it.
//
// Parse never reads files: cmd/telltale reads them and passes the bytes, so
// that every error can name both the file and the key.
package configs

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Default is the embedded default configuration (configs/telltale.yaml).
//
//go:embed telltale.yaml
var Default []byte

// Others says what happens to hosts that are not intercepted.
const (
	OthersTunnel = "tunnel"
	OthersDeny   = "deny"
)

// Config is the whole configuration file. The YAML key names are a contract
// with users' files: extend, never rename.
type Config struct {
	Listen    string    `yaml:"listen"`
	DataDir   string    `yaml:"data_dir"`
	Admin     Admin     `yaml:"admin"`
	Clients   Clients   `yaml:"clients"`
	Intercept Intercept `yaml:"intercept"`
	Others    string    `yaml:"others"`
	Upstream  Upstream  `yaml:"upstream"`
	Capture   Capture   `yaml:"capture"`
	Log       Log       `yaml:"log"`
	Alerts    Alerts    `yaml:"alerts"`
	Inspect   Inspect   `yaml:"inspect"`
	Evidence  Evidence  `yaml:"evidence"`
	Licenses  Licenses  `yaml:"licenses"` // licenses.go
	Limits    Limits    `yaml:"limits"`   // limits.go
	Archive   Archive   `yaml:"archive"`  // archive.go
	Measure   Measure   `yaml:"measure"`  // measure.go
}

// Admin is the admin API listener; admin.go has its TLS.
type Admin struct {
	Listen   string   `yaml:"listen"`
	TLS      string   `yaml:"tls"`       // "" or "auto"
	TLSCert  string   `yaml:"tls_cert"`  // PEM certificate (chain) file
	TLSKey   string   `yaml:"tls_key"`   // its PEM private key file
	TLSNames []string `yaml:"tls_names"` // names and IPs of the auto certificate
}

// Clients says who may use the proxy.
type Clients struct {
	Allow []string `yaml:"allow"`
	// SentByWait bounds how long a capture from a client on this host
	// waits for the lookup of the program that sent it; 0: no lookup.
	SentByWait Duration `yaml:"sent_by_wait"`
}

// Intercept lists the hosts whose TLS is opened and recorded.
type Intercept struct {
	Hosts         []string         `yaml:"hosts"`
	ClientRefusal `yaml:",inline"` // intercept_refusal.go
}

// Upstream configures the proxy's own outbound connections.
type Upstream struct {
	CAFile  string            `yaml:"ca_file"`
	Proxy   string            `yaml:"proxy"`
	Resolve map[string]string `yaml:"resolve"`
	Timeout Duration          `yaml:"timeout"`
	// NoProxy lists destinations reached directly, not through Proxy
	// (NO_PROXY syntax, one entry each: host, .domain, IP, CIDR, host:port).
	NoProxy []string `yaml:"no_proxy"`
	// ProxyAuthEnv names an environment variable holding "user:password"
	// for Proxy, so that the password need not be in the file.
	ProxyAuthEnv string `yaml:"proxy_auth_env"`
	// AllowLocal names upstreams on this host (loopback, link-local, its
	// own addresses) that the proxy may reach anyway, as host:port
	// (guard.go).
	AllowLocal []string `yaml:"allow_local"`
}

// Capture configures what is stored.
type Capture struct {
	MaxBodyBytes int64     `yaml:"max_body_bytes"`
	Retention    Retention `yaml:"retention"`
	// WALDirect writes the write-ahead log with O_DIRECT|O_DSYNC instead
	// of write plus fdatasync (Linux only).
	WALDirect bool `yaml:"wal_direct"`
}

// Log configures the structured log.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
	// File, when set, is where the log goes instead of stderr, rotated
	// when it reaches MaxSizeBytes, keeping MaxFiles old files.
	File         string   `yaml:"file"`
	MaxSizeBytes ByteSize `yaml:"max_size_bytes"`
	MaxFiles     int      `yaml:"max_files"`
}

// Duration is a time.Duration written as "60s" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (examples: 30s, 2m, 90d)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// KeyError is a configuration error about one key.
type KeyError struct {
	Key string // dotted path, e.g. clients.allow[1]
	Msg string
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Msg }

// ErrInvalid is wrapped by every error Parse returns.
var ErrInvalid = errors.New("invalid configuration")

// Parse reads a configuration from YAML. Keys missing from data take the
// embedded default's values; unknown keys and bad values are errors naming
// the key.
func Parse(data []byte) (*Config, error) {
	var c Config
	if err := decode(Default, &c); err != nil {
		return nil, fmt.Errorf("embedded default: %w", err)
	}
	if err := decode(data, &c); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, escapeHint(nameKeys(data, err.Error())))
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return &c, nil
}

func decode(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(c)
	if errors.Is(err, io.EOF) { // an empty file means "all defaults"
		return nil
	}
	return err
}

// Validate checks every value and returns the first bad one as a *KeyError.
func (c *Config) Validate() error {
	checks := []func() error{
		func() error { return checkAddr("listen", c.Listen) },
		func() error { return checkAddr("admin.listen", c.Admin.Listen) },
		c.checkAdminTLS,
		func() error { return nonEmpty("data_dir", c.DataDir) },
		c.checkPaths,
		c.checkClients,
		c.checkIntercept,
		c.checkOthers,
		c.checkUpstream,
		c.checkCapture,
		c.checkLog,
		c.checkAlerts,
		c.checkRetention,
		c.checkParent,
		c.checkLogFile,
		c.checkInspect,
		c.checkEvidence,
		c.checkAllowLocal,
		c.checkLimits,
		c.checkClientRefusal,
		c.checkArchive,
		c.checkMeasure,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// AllowedClients returns clients.allow parsed. Call after Validate.
func (c *Config) AllowedClients() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(c.Clients.Allow))
	for _, s := range c.Clients.Allow {
		p, err := parsePrefix(s)
		if err == nil {
			out = append(out, p)
		}
	}
	return out
}

func checkAddr(key, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return &KeyError{key, fmt.Sprintf("%q is not host:port (example: 127.0.0.1:8080)", addr)}
	}
	if _, err := netip.ParseAddr(host); err != nil && host != "" && host != "localhost" {
		return &KeyError{key, fmt.Sprintf("%q: host must be an IP address or localhost", addr)}
	}
	if !validPort(port) {
		return &KeyError{key, fmt.Sprintf("%q: port must be a number from 0 to 65535", addr)}
	}
	return nil
}

func validPort(port string) bool {
	var n int
	if _, err := fmt.Sscanf(port, "%d", &n); err != nil || fmt.Sprint(n) != port {
		return false
	}
	return n >= 0 && n <= 65535
}

func nonEmpty(key, v string) error {
	if strings.TrimSpace(v) == "" {
		return &KeyError{key, "must not be empty"}
	}
	return nil
}

func (c *Config) checkClients() error {
	if len(c.Clients.Allow) == 0 {
		return &KeyError{"clients.allow", "must list at least one network (example: 127.0.0.0/8); an empty list would refuse everyone"}
	}
	for i, s := range c.Clients.Allow {
		if _, err := parsePrefix(s); err != nil {
			return &KeyError{fmt.Sprintf("clients.allow[%d]", i), fmt.Sprintf("%q is not a CIDR or IP address (example: 10.0.0.0/8)", s)}
		}
	}
	if d := time.Duration(c.Clients.SentByWait); d < 0 || d > maxSentByWait {
		return &KeyError{"clients.sent_by_wait", fmt.Sprintf("%s: must be 0s (no lookup) to %s; a capture waits this long at most (example: 100ms)", d, maxSentByWait)}
	}
	return nil
}

// maxSentByWait caps clients.sent_by_wait: the lookup must not hold an
// exchange for long.
const maxSentByWait = 5 * time.Second

// parsePrefix accepts a CIDR or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (c *Config) checkIntercept() error {
	if len(c.Intercept.Hosts) == 0 {
		return &KeyError{"intercept.hosts", "must list at least one host"}
	}
	for i, h := range c.Intercept.Hosts {
		if err := CheckPattern(h); err != nil {
			return &KeyError{fmt.Sprintf("intercept.hosts[%d]", i), err.Error()}
		}
	}
	return nil
}

// CheckPattern reports whether p is a valid intercept pattern: an exact DNS
// name or "*." followed by one.
func CheckPattern(p string) error {
	name := strings.TrimPrefix(p, "*.")
	if name == "" || strings.Contains(name, "*") {
		return fmt.Errorf("%q: use an exact name (las.cloud.com) or a *.suffix pattern (*.citrixworkspacesapi.net)", p)
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return fmt.Errorf("%q: IP addresses cannot be intercepted, only DNS names", p)
	}
	for _, label := range strings.Split(name, ".") {
		if !validLabel(label) {
			return fmt.Errorf("%q: %q is not a valid DNS label", p, label)
		}
	}
	return checkNotSuffix(p, name) // publicsuffix.go
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, r := range l {
		ok := r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			return false
		}
	}
	return true
}

func (c *Config) checkOthers() error {
	if c.Others != OthersTunnel && c.Others != OthersDeny {
		return &KeyError{"others", fmt.Sprintf("%q: must be tunnel or deny", c.Others)}
	}
	return nil
}

func (c *Config) checkUpstream() error {
	if p := c.Upstream.Proxy; p != "" {
		u, err := url.Parse(p)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &KeyError{"upstream.proxy", fmt.Sprintf("%q: must be http://host:port or https://host:port", p)}
		}
	}
	for from, to := range c.Upstream.Resolve {
		key := fmt.Sprintf("upstream.resolve[%q]", from)
		if _, port, err := net.SplitHostPort(from); err != nil || !validPort(port) {
			return &KeyError{key, "the key must be host:port (example: las.cloud.com:443)"}
		}
		if _, port, err := net.SplitHostPort(to); err != nil || !validPort(port) {
			return &KeyError{key, fmt.Sprintf("%q: the value must be ip:port (example: 127.0.0.1:8443)", to)}
		}
	}
	if c.Upstream.Timeout <= 0 {
		return &KeyError{"upstream.timeout", fmt.Sprintf("%v: must be a positive duration (example: 60s); there is no unlimited timeout", time.Duration(c.Upstream.Timeout))}
	}
	return nil
}

func (c *Config) checkCapture() error {
	if c.Capture.MaxBodyBytes <= 0 {
		return &KeyError{"capture.max_body_bytes", "must be a positive number of bytes"}
	}
	return nil
}

func (c *Config) checkLog() error {
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return &KeyError{"log.level", fmt.Sprintf("%q: must be debug, info, warn or error", c.Log.Level)}
	}
	switch c.Log.Format {
	case "auto", "json", "pretty":
	default:
		return &KeyError{"log.format", fmt.Sprintf("%q: must be auto, json or pretty", c.Log.Format)}
	}
	return nil
}

var lineRef = regexp.MustCompile(`line (\d+):`)

// nameKeys adds the dotted key to each "line N:" of a YAML error, since
// yaml's type errors name only the line.
func nameKeys(data []byte, msg string) string {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return msg
	}
	keys := map[int]string{}
	walkKeys(&root, "", keys)
	return lineRef.ReplaceAllStringFunc(msg, func(m string) string {
		n, _ := strconv.Atoi(lineRef.FindStringSubmatch(m)[1])
		if k, ok := keys[n]; ok {
			return fmt.Sprintf("line %d (%s):", n, k)
		}
		return m
	})
}

func walkKeys(n *yaml.Node, prefix string, keys map[int]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkKeys(c, prefix, keys)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if prefix != "" {
				k = prefix + "." + k
			}
			keys[n.Content[i].Line] = k
			walkKeys(n.Content[i+1], k, keys)
		}
	}
}
