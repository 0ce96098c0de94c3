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
	c, err = Parse([]byte("evidence:\n  checkpoint_interval: 5m\n  redact_fields: [licenseKey]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Evidence.CheckpointInterval) != 5*time.Minute || !slices.Equal(c.Evidence.RedactFields, []string{"licenseKey"}) {
		t.Errorf("overrides: got %v %v", time.Duration(c.Evidence.CheckpointInterval), c.Evidence.RedactFields)
	}
}

func TestParse_EvidenceErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"evidence:\n  checkpoint_interval: 0s\n":            "evidence.checkpoint_interval",
		"evidence:\n  checkpoint_interval: -1h\n":           "evidence.checkpoint_interval",
		"evidence:\n  redact_fields: [ok, \"two words\"]\n": "evidence.redact_fields[1]",
		"evidence:\n  redact_headers: [\"Bad:Header\"]\n":   "evidence.redact_headers[0]",
		"evidence:\n  redact_field: [x]\n":                  "redact_field",
	}
	for yaml, key := range cases {
		_, err := Parse([]byte(yaml))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: got %v, want an error naming %s", yaml, err, key)
		}
	}
}
