package configs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse_OpsDefaults(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Capture.Retention.MaxAge != 0 || c.Capture.Retention.MaxBytes != 10<<30 || c.Capture.Retention.Interval != Duration(time.Hour) {
		t.Errorf("retention defaults: got %+v", c.Capture.Retention)
	}
	if c.Alerts.Webhook != "" || c.Alerts.SizeThresholdBytes != 8<<30 || c.Alerts.MinFreeBytes != 1<<30 || c.Alerts.Repeat != Duration(time.Hour) {
		t.Errorf("alerts defaults: got %+v", c.Alerts)
	}
	if c.Log.File != "" || c.Log.MaxSizeBytes != 50<<20 || c.Log.MaxFiles != 5 {
		t.Errorf("log defaults: got %+v", c.Log)
	}
}

func TestParse_OpsKeys(t *testing.T) {
	c, err := Parse([]byte(`
capture:
  retention: {max_age: 90d, max_bytes: 500MB}
alerts:
  webhook: https://hooks.example/telltale
  min_free_bytes: 2147483648
upstream:
  proxy: https://user@proxy.corp.example:3128
  proxy_auth_env: TELLTALE_PROXY_AUTH
  no_proxy: [.corp.example, 10.0.0.0/8]
log:
  file: /var/log/telltale/telltale.log
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Capture.Retention.MaxAge != Duration(90*24*time.Hour) || c.Capture.Retention.MaxBytes != 500e6 || !c.Capture.Retention.Enabled() {
		t.Errorf("retention: got %+v", c.Capture.Retention)
	}
	if c.Capture.Retention.Interval != Duration(time.Hour) || c.Alerts.SizeThresholdBytes != 8<<30 {
		t.Errorf("keys left out must keep their defaults: got %+v %+v", c.Capture.Retention, c.Alerts)
	}
	if c.Alerts.MinFreeBytes != 2<<30 || c.Upstream.ProxyAuthEnv != "TELLTALE_PROXY_AUTH" || len(c.Upstream.NoProxy) != 2 {
		t.Errorf("got %+v %+v", c.Alerts, c.Upstream)
	}
}

func TestParse_OpsErrors_NameTheKey(t *testing.T) {
	cases := map[string]string{
		"alerts:\n  webhook: ftp://x\n":                      "alerts.webhook",
		"alerts:\n  min_free_bytes: lots\n":                  "alerts.min_free_bytes",
		"alerts:\n  repeat: -1h\n":                           "alerts.repeat",
		"capture:\n  retention: {max_age: 10m}\n":            "capture.retention.max_age",
		"capture:\n  retention: {max_age: -1d}\n":            "capture.retention.max_age",
		"capture:\n  retention: {interval: 1s}\n":            "capture.retention.interval",
		"capture:\n  retention: {max_bytes: -5}\n":           "capture.retention.max_bytes",
		"upstream:\n  no_proxy: [\"a, b\"]\n":                "upstream.no_proxy[0]",
		"upstream:\n  proxy_auth_env: \"A=B\"\n":             "upstream.proxy_auth_env",
		"log:\n  file: /tmp/t.log\n  max_size_bytes: 1000\n": "log.max_size_bytes",
		"log:\n  file: /tmp/t.log\n  max_files: 0\n":         "log.max_files",
		"upstream:\n  proxy: socks5://proxy.example:1080\n":  "upstream.proxy",
		"capture:\n  retention: {max_age: 90days}\n":         "capture.retention.max_age",
		"capture:\n  retention:\n    max_bytes: 10XB\n":      "capture.retention.max_bytes",
	}
	for in, key := range cases {
		_, err := Parse([]byte(in))
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), key) {
			t.Errorf("Parse(%q): got %v, want ErrInvalid naming %q", in, err, key)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"0": 0, "1024": 1024, "1KiB": 1024, "1.5GiB": 3 << 29, "500MB": 500e6, "10 GiB": 10 << 30, "7B": 7} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q): got %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "ten", "1XB", "1e30"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q): want an error", in)
		}
	}
}

func TestByteSize_String(t *testing.T) {
	for b, want := range map[ByteSize]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 3 << 29: "1.5 GiB", 12 << 20: "12.0 MiB", 5 << 40: "5120.0 GiB"} {
		if got := b.String(); got != want {
			t.Errorf("ByteSize(%d).String(): got %q, want %q", int64(b), got, want)
		}
		if back, err := ParseByteSize(b.String()); err != nil || (b < 1<<10 && back != b) {
			t.Errorf("ParseByteSize(%q): got %d, %v, want it to read what String wrote", b.String(), back, err)
		}
	}
}
