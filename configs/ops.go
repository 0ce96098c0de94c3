package configs

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The keys for running Telltale unattended: alerts, retention, the parent
// proxy's credentials and exclusions, and the log file.

// Alerts configures alert delivery and the thresholds that raise alerts.
type Alerts struct {
	// Webhook receives each alert as a JSON POST; "" means alerts only go
	// to the log (warn level).
	Webhook string `yaml:"webhook"`
	// SizeThresholdBytes raises an alert when the store (database and
	// blobs) grows past it; 0 turns the check off.
	SizeThresholdBytes ByteSize `yaml:"size_threshold_bytes"`
	// MinFreeBytes raises an alert when the data dir's file system has
	// less free space; 0 turns the check off.
	MinFreeBytes ByteSize `yaml:"min_free_bytes"`
	// Repeat is how long the same alert is held back after it was sent.
	Repeat Duration `yaml:"repeat"`
}

// Retention prunes the bodies of old captures; records and hashes stay.
type Retention struct {
	MaxAge   Duration `yaml:"max_age"`   // 0: no age limit
	MaxBytes ByteSize `yaml:"max_bytes"` // stored bodies; 0: no size limit
	Interval Duration `yaml:"interval"`  // how often serve prunes
}

// Enabled reports whether any limit is set.
func (r Retention) Enabled() bool { return r.MaxAge > 0 || r.MaxBytes > 0 }

// ByteSize is a number of bytes, written as a plain integer or with a unit:
// 500MB, 10GiB (KB, MB, GB, TB are powers of 1000; KiB, MiB, GiB, TiB of
// 1024).
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// ParseByteSize parses a ByteSize.
func ParseByteSize(in string) (ByteSize, error) {
	s := strings.TrimSpace(in)
	mult := int64(1)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 || math.IsInf(n, 0) || n*float64(mult) > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a size (examples: 1073741824, 500MB, 10GiB)", in)
	}
	return ByteSize(n * float64(mult)), nil
}

// String writes b for people: 1.5 GiB, 12.0 MiB, 3.2 KiB, 512 B.
func (b ByteSize) String() string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", int64(b))
}

// UnmarshalYAML parses a ByteSize.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = v
	return nil
}

// parseDuration is time.ParseDuration plus whole days, "90d", which
// retention wants.
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

func (c *Config) checkAlerts() error {
	if w := c.Alerts.Webhook; w != "" {
		u, err := url.Parse(w)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &KeyError{"alerts.webhook", fmt.Sprintf("%q: must be an http:// or https:// URL", w)}
		}
	}
	if c.Alerts.Repeat < 0 {
		return &KeyError{"alerts.repeat", "must not be negative"}
	}
	return nil
}

func (c *Config) checkRetention() error {
	r := c.Capture.Retention
	if r.MaxAge < 0 {
		return &KeyError{"capture.retention.max_age", "must not be negative"}
	}
	if r.MaxAge > 0 && time.Duration(r.MaxAge) < time.Hour {
		return &KeyError{"capture.retention.max_age", "must be at least 1h (or 0 for no age limit)"}
	}
	if r.Interval < Duration(time.Minute) {
		return &KeyError{"capture.retention.interval", "must be at least 1m"}
	}
	return nil
}

func (c *Config) checkParent() error {
	for i, e := range c.Upstream.NoProxy {
		if strings.TrimSpace(e) == "" || strings.ContainsAny(e, ", \t") || !validNoProxy(e) {
			return &KeyError{fmt.Sprintf("upstream.no_proxy[%d]", i), fmt.Sprintf("%q: want one host, .domain, IP, CIDR or host:port per entry", e)}
		}
	}
	if env := c.Upstream.ProxyAuthEnv; env != "" && strings.ContainsAny(env, "= \t") {
		return &KeyError{"upstream.proxy_auth_env", fmt.Sprintf("%q is not an environment variable name", env)}
	}
	return nil
}

func (c *Config) checkLogFile() error {
	if c.Log.MaxFiles < 0 {
		return &KeyError{"log.max_files", "must not be negative"}
	}
	if c.Log.File == "" {
		return nil
	}
	if c.Log.MaxSizeBytes < 1<<20 {
		return &KeyError{"log.max_size_bytes", "must be at least 1MiB"}
	}
	if c.Log.MaxFiles < 1 {
		return &KeyError{"log.max_files", "must be at least 1"}
	}
	return nil
}

// validNoProxy reports whether e is a NO_PROXY entry that
// golang.org/x/net/http/httpproxy can match: "*", an IP, a CIDR, a host,
// .domain or *.domain, each optionally with :port ([ipv6]:port).
func validNoProxy(e string) bool {
	if e == "*" {
		return true
	}
	if _, err := netip.ParsePrefix(e); err == nil {
		return true
	}
	host := e
	if h, port, err := net.SplitHostPort(e); err == nil {
		if !validPort(port) {
			return false
		}
		host = h
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	host = strings.TrimPrefix(strings.TrimPrefix(host, "*"), ".")
	return validName(host)
}
