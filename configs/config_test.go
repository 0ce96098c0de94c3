package configs

import (
	"errors"
	"strings"
	"testing"
)

func TestParse_EmbeddedDefault(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Admin.Listen != "127.0.0.1:8081" || c.DataDir != "./telltale-data" || c.Others != OthersTunnel {
		t.Errorf("defaults: got %+v", c)
	}
	if len(c.AllowedClients()) != 2 || len(c.Intercept.Hosts) == 0 {
		t.Errorf("clients/intercept: got %v %v", c.AllowedClients(), c.Intercept.Hosts)
	}
}

func TestParse_OverridesKeepOtherDefaults(t *testing.T) {
	c, err := Parse([]byte("listen: 0.0.0.0:3128\nintercept:\n  hosts: [las.cloud.com]\nupstream:\n  resolve: {\"las.cloud.com:443\": \"127.0.0.1:9443\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "0.0.0.0:3128" || len(c.Intercept.Hosts) != 1 || c.Admin.Listen != "127.0.0.1:8081" || c.Upstream.Resolve["las.cloud.com:443"] != "127.0.0.1:9443" {
		t.Errorf("got %+v", c)
	}
}

func TestParse_Errors_NameTheKey(t *testing.T) {
	cases := map[string]string{
		"bogus: 1\n":                                     "bogus",
		"admin:\n  listne: x\n":                          "listne",
		"listen: nowhere\n":                              "listen",
		"clients:\n  allow: [300.1.1.1]\n":               "clients.allow[0]",
		"clients:\n  allow: []\n":                        "clients.allow",
		"intercept:\n  hosts: [\"*\"]\n":                 "intercept.hosts[0]",
		"intercept:\n  hosts: [10.0.0.1]\n":              "intercept.hosts[0]",
		"others: maybe\n":                                "others",
		"upstream:\n  proxy: ftp://x\n":                  "upstream.proxy",
		"upstream:\n  resolve: {\"las.cloud.com\": x}\n": "upstream.resolve",
		"upstream:\n  timeout: soon\n":                   "duration",
		"capture:\n  max_body_bytes: 0\n":                "capture.max_body_bytes",
		"log:\n  level: loud\n":                          "log.level",
		"listen: [1, 2]\n":                               "listen",
	}
	for in, key := range cases {
		_, err := Parse([]byte(in))
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), key) {
			t.Errorf("Parse(%q): got %v, want ErrInvalid naming %q", in, err, key)
		}
	}
}
