package configs

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParse_EvidenceDefaultsAndOverrides(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(c.Evidence.CheckpointInterval); got != time.Hour {
		t.Errorf("checkpoint_interval: got %v, want 1h", got)
	}
	if !slices.Contains(c.Evidence.RedactFields, "clientSecret") || !slices.Contains(c.Evidence.RedactHeaders, "Set-Cookie") {
		t.Errorf("redaction defaults: got %v %v", c.Evidence.RedactFields, c.Evidence.RedactHeaders)
	}
	if c.Evidence.TSAURL != "" || c.Evidence.WitnessURL != "" {
		t.Errorf("anchors on by default: got %q %q", c.Evidence.TSAURL, c.Evidence.WitnessURL)
	}
	c, err = Parse([]byte("evidence:\n  checkpoint_interval: 5m\n  redact_fields: [licenseKey]\n" +
		"  tsa_url: http://127.0.0.1:3180/tsa\n  tsa_ca_file: tsa.pem\n  witness_url: https://witness.example/log\n"))
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Evidence.CheckpointInterval) != 5*time.Minute || !slices.Equal(c.Evidence.RedactFields, []string{"licenseKey"}) {
		t.Errorf("overrides: got %v %v", time.Duration(c.Evidence.CheckpointInterval), c.Evidence.RedactFields)
	}
	if c.Evidence.TSAURL != "http://127.0.0.1:3180/tsa" || c.Evidence.TSACAFile != "tsa.pem" || c.Evidence.WitnessURL != "https://witness.example/log" {
		t.Errorf("anchor keys: got %+v", c.Evidence)
	}
}

func TestParse_EvidenceErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"evidence:\n  checkpoint_interval: 0s\n":            "evidence.checkpoint_interval",
		"evidence:\n  checkpoint_interval: -1h\n":           "evidence.checkpoint_interval",
		"evidence:\n  redact_fields: [ok, \"two words\"]\n": "evidence.redact_fields[1]",
		"evidence:\n  redact_headers: [\"Bad:Header\"]\n":   "evidence.redact_headers[0]",
		"evidence:\n  redact_field: [x]\n":                  "redact_field",
		"evidence:\n  tsa_url: ftp://tsa.example\n":         "evidence.tsa_url",
		"evidence:\n  witness_url: witness.example\n":       "evidence.witness_url",
		"evidence:\n  tsa_ca_file: tsa.pem\n":               "evidence.tsa_ca_file",
	}
	for yaml, key := range cases {
		_, err := Parse([]byte(yaml))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: got %v, want an error naming %s", yaml, err, key)
		}
	}
}
