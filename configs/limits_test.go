package configs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse_LimitsDefaultsAndOverrides(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	l := c.Limits
	if l.MaxClientConns != 1024 || time.Duration(l.HeadTimeout) != 30*time.Second ||
		time.Duration(l.IdleTimeout) != 2*time.Minute || time.Duration(l.TunnelIdleTimeout) != 10*time.Minute {
		t.Errorf("defaults: got %+v", l)
	}
	c, err = Parse([]byte("limits:\n  max_client_conns: 50\n  tunnel_idle_timeout: 1h\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.MaxClientConns != 50 || time.Duration(c.Limits.TunnelIdleTimeout) != time.Hour ||
		time.Duration(c.Limits.HeadTimeout) != 30*time.Second {
		t.Errorf("overrides: got %+v", c.Limits)
	}
}

func TestParse_LimitsErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"limits:\n  max_client_conns: 0\n":       "limits.max_client_conns",
		"limits:\n  max_client_conns: -5\n":      "limits.max_client_conns",
		"limits:\n  max_client_conns: many\n":    "max_client_conns",
		"limits:\n  head_timeout: 0s\n":          "limits.head_timeout",
		"limits:\n  idle_timeout: -1m\n":         "limits.idle_timeout",
		"limits:\n  tunnel_idle_timeout: 0s\n":   "limits.tunnel_idle_timeout",
		"limits:\n  max_client_connections: 5\n": "max_client_connections",
	}
	for yaml, key := range cases {
		_, err := Parse([]byte(yaml))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: got %v, want an error naming %s", yaml, err, key)
		}
	}
}
