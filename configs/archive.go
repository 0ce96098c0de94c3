package configs

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Archive is the copy of the log in S3-compatible object storage with
// Object Lock (package archive): `telltale archive` and serve's background
// archiver push to it, `telltale estate` reads it. Credentials come from
// the standard AWS chain (environment, shared files, instance role) or
// from the environment variables named here; never from this file.
type Archive struct {
	// Endpoint is the S3 endpoint of an on-premises appliance or another
	// provider (https://s3.example.internal:9000), addressed path-style;
	// "" is AWS.
	Endpoint string `yaml:"endpoint"`
	Region   string `yaml:"region"`
	Bucket   string `yaml:"bucket"` // "" turns the archive off
	Prefix   string `yaml:"prefix"` // key prefix; each log goes under <prefix>/<origin>/
	// Retention is how long after its capture an object stays locked.
	Retention Duration `yaml:"retention"`
	// Mode is COMPLIANCE (nobody can shorten or delete, not even the
	// account's root) or GOVERNANCE (a user with
	// s3:BypassGovernanceRetention can).
	Mode string `yaml:"mode"`
	// AllowUnlocked archives to a bucket without Object Lock (a test
	// bucket); without it such a bucket is refused at start.
	AllowUnlocked bool `yaml:"allow_unlocked"`
	// AccessKeyEnv and SecretKeyEnv name environment variables holding
	// the access key (SessionTokenEnv a session token); empty: the
	// standard AWS chain.
	AccessKeyEnv    string `yaml:"access_key_env"`
	SecretKeyEnv    string `yaml:"secret_key_env"`
	SessionTokenEnv string `yaml:"session_token_env"`
	// Interval is how often serve pushes what is new.
	Interval Duration `yaml:"interval"`
	// AlertAfter raises the archive_lag alert once a record has waited
	// this long to be archived.
	AlertAfter Duration `yaml:"alert_after"`
}

// Enabled reports whether an archive is configured.
func (a Archive) Enabled() bool { return a.Bucket != "" }

// Defaults of an archive section that leaves them out.
const (
	defaultArchiveRetention  = Duration(400 * 24 * time.Hour)
	defaultArchiveInterval   = Duration(5 * time.Minute)
	defaultArchiveAlertAfter = Duration(24 * time.Hour)
)

// ArchiveSettings returns archive with its defaults filled in.
func (c *Config) ArchiveSettings() Archive {
	a := c.Archive
	if a.Retention == 0 {
		a.Retention = defaultArchiveRetention
	}
	if a.Mode == "" {
		a.Mode = "COMPLIANCE"
	}
	if a.Interval == 0 {
		a.Interval = defaultArchiveInterval
	}
	if a.AlertAfter == 0 {
		a.AlertAfter = defaultArchiveAlertAfter
	}
	return a
}

// checkArchive checks the archive section.
func (c *Config) checkArchive() error {
	a := c.Archive
	if !a.Enabled() {
		if a.Endpoint != "" || a.Prefix != "" {
			return &KeyError{"archive.bucket", "required when archive.endpoint or archive.prefix is set"}
		}
		return nil
	}
	if a.Endpoint != "" {
		if u, err := url.Parse(a.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return &KeyError{"archive.endpoint", fmt.Sprintf("%q: must be an http:// or https:// URL without credentials", a.Endpoint)}
		}
	}
	if strings.ContainsAny(a.Bucket, "/ ") {
		return &KeyError{"archive.bucket", fmt.Sprintf("%q is not a bucket name", a.Bucket)}
	}
	if strings.HasPrefix(a.Prefix, "/") || strings.Contains(a.Prefix, "..") {
		return &KeyError{"archive.prefix", fmt.Sprintf("%q: must be relative, without ..", a.Prefix)}
	}
	if m := a.Mode; m != "" && m != "COMPLIANCE" && m != "GOVERNANCE" {
		return &KeyError{"archive.mode", fmt.Sprintf("%q: must be COMPLIANCE or GOVERNANCE", m)}
	}
	if a.Retention < 0 || a.Retention > 0 && a.Retention < Duration(24*time.Hour) {
		return &KeyError{"archive.retention", "must be at least 1d (S3 locks for whole days)"}
	}
	if a.Interval < 0 || a.Interval > 0 && a.Interval < Duration(10*time.Second) {
		return &KeyError{"archive.interval", "must be at least 10s"}
	}
	if a.AlertAfter < 0 {
		return &KeyError{"archive.alert_after", "must not be negative"}
	}
	if (a.AccessKeyEnv == "") != (a.SecretKeyEnv == "") {
		return &KeyError{"archive.secret_key_env", "access_key_env and secret_key_env go together (or neither: the standard AWS chain)"}
	}
	for k, v := range map[string]string{"access_key_env": a.AccessKeyEnv, "secret_key_env": a.SecretKeyEnv, "session_token_env": a.SessionTokenEnv} {
		if strings.ContainsAny(v, "= \t") {
			return &KeyError{"archive." + k, fmt.Sprintf("%q is not an environment variable name (the key itself never goes in the file)", v)}
		}
	}
	return nil
}
