package configs

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Evidence configures the signed checkpoints, what `telltale export`
// withholds (unless --no-redact) and which bodies serve seals as it logs
// them.
type Evidence struct {
	// CheckpointInterval is how often serve signs a checkpoint of the log
	// (when it grew); it also signs one at start and at shutdown.
	CheckpointInterval Duration `yaml:"checkpoint_interval"`
	// CheckpointDebounce is how long after the last new capture serve
	// signs (and anchors) a checkpoint: each upload is anchored within
	// about this long of leaving; 0 signs at CheckpointInterval only.
	CheckpointDebounce Duration `yaml:"checkpoint_debounce"`
	// RedactFields are JSON keys, form fields, URL query parameters and
	// header names whose values export withholds, matched ignoring case,
	// '_' and '-', as suffixes ("secret" matches clientSecret).
	RedactFields []string `yaml:"redact_fields"`
	// RedactHeaders are header names whose values export withholds.
	RedactHeaders []string `yaml:"redact_headers"`
	// TSAURL is an RFC 3161 time-stamping authority that timestamps each
	// checkpoint (serve and `telltale checkpoint`); "" means none.
	TSAURL string `yaml:"tsa_url"`
	// TSACAFile holds the PEM roots the TSA's certificate must chain to;
	// "" accepts any TSA certificate with the timeStamping usage.
	TSACAFile string `yaml:"tsa_ca_file"`
	// WitnessURL receives each signed checkpoint (and its timestamp) as
	// a JSON POST, so copies leave the machine; "" means none. It is a
	// notification: the witnesses that cosign are Witnesses.
	WitnessURL string `yaml:"witness_url"`
	// Witnesses are C2SP tlog-witness services that cosign each new
	// checkpoint (witness.go).
	Witnesses []Witness `yaml:"witnesses"`
	// TrustedKeys are log verifier keys (log.pub lines, or files holding
	// one) that `telltale verify FILE.zip` accepts a bundle signed by,
	// besides --key.
	TrustedKeys []string `yaml:"trusted_keys"`
}

// MinCheckpointInterval is the shortest evidence.checkpoint_interval.
const MinCheckpointInterval = time.Second

func (c *Config) checkEvidence() error {
	if d := time.Duration(c.Evidence.CheckpointInterval); d < MinCheckpointInterval {
		return &KeyError{"evidence.checkpoint_interval", fmt.Sprintf("%v: must be at least %v (example: 1h)", d, MinCheckpointInterval)}
	}
	for _, k := range []struct{ key, v string }{
		{"evidence.tsa_url", c.Evidence.TSAURL}, {"evidence.witness_url", c.Evidence.WitnessURL}} {
		if k.v == "" {
			continue
		}
		if u, err := url.Parse(k.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &KeyError{k.key, fmt.Sprintf("%q: must be an http:// or https:// URL", k.v)}
		}
	}
	if err := c.checkDebounce(); err != nil {
		return err
	}
	if err := c.checkWitnesses(); err != nil {
		return err
	}
	if c.Evidence.TSACAFile != "" && c.Evidence.TSAURL == "" {
		return &KeyError{"evidence.tsa_ca_file", "set without evidence.tsa_url: there is no TSA to trust"}
	}
	for i, f := range c.Evidence.RedactFields {
		if strings.TrimSpace(f) == "" || strings.ContainsAny(f, " \t\r\n") {
			return &KeyError{fmt.Sprintf("evidence.redact_fields[%d]", i), fmt.Sprintf("%q: must be a field name without spaces (example: clientSecret)", f)}
		}
	}
	for i, h := range c.Evidence.RedactHeaders {
		if !validToken(h) {
			return &KeyError{fmt.Sprintf("evidence.redact_headers[%d]", i), fmt.Sprintf("%q: must be a header name (example: Authorization)", h)}
		}
	}
	return nil
}

// validToken reports whether s is an HTTP token (RFC 9110 5.6.2), the
// syntax of a header name.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}
