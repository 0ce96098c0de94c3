package configs

import (
	"errors"
	"strings"
	"testing"
)

func TestParse_AllowLocal(t *testing.T) {
	c, err := Parse([]byte("upstream:\n  allow_local: [\"127.0.0.1:9443\", \"[::1]:9443\", las.internal:443, localhost:8000]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Upstream.AllowLocal, " "); got != "127.0.0.1:9443 [::1]:9443 las.internal:443 localhost:8000" {
		t.Errorf("upstream.allow_local: got %q", got)
	}
	if d, _ := Parse(nil); len(d.Upstream.AllowLocal) != 0 {
		t.Errorf("default allow_local: got %v, want none", d.Upstream.AllowLocal)
	}
}

// TestParse_Hardening_ErrorsNameTheKey: values that were accepted and
// failed later (or never worked) now stop serve with the key named.
func TestParse_Hardening_ErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"intercept:\n  hosts: [\"*.com\"]\n":                                                                 "intercept.hosts[0]",
		"intercept:\n  hosts: [las.cloud.com, \"*.co.uk\"]\n":                                                "intercept.hosts[1]",
		"intercept:\n  hosts: [\"*.corp\"]\n":                                                                "intercept.hosts[0]",
		"intercept:\n  hosts: [com]\n":                                                                       "intercept.hosts[0]",
		"upstream:\n  no_proxy: [\"[[[\"]\n":                                                                 "upstream.no_proxy[0]",
		"upstream:\n  no_proxy: [.corp.example, \"host:99999\"]\n":                                           "upstream.no_proxy[1]",
		"upstream:\n  allow_local: [\"127.0.0.1\"]\n":                                                        "upstream.allow_local[0]",
		"upstream:\n  allow_local: [\"127.0.0.1:0\"]\n":                                                      "upstream.allow_local[0]",
		"upstream:\n  allow_local: [\"bad name:80\"]\n":                                                      "upstream.allow_local[0]",
		"log:\n  max_files: -1\n":                                                                            "log.max_files",
		"inspect:\n  volatile: [\"$.a[\"]\n":                                                                 "inspect.volatile[0]",
		"inspect:\n  volatile: [\"$**.UTCDate\", \"\"]\n":                                                    "inspect.volatile[1]",
		"inspect:\n  templates: [\"/support/{ccid/x\"]\n":                                                    "inspect.templates[0]",
		"inspect:\n  endpoints:\n    - endpoint: POST h /x\n      volatile: [\"$.a]\"]\n":                    "inspect.endpoints[0].volatile[0]",
		"inspect:\n  endpoints:\n    - endpoint: POST h /x\n      time: \"$[\\\"a\"\n":                       "inspect.endpoints[0].time",
		"inspect:\n  endpoints:\n    - endpoint: POST h /x\n      keys: {\"$.a[[]\": Id}\n":                  "inspect.endpoints[0].keys",
		"inspect:\n  endpoints:\n    - endpoint: POST h /x\n      figures: [{path: \"$.n[\", name: N}]\n":    "inspect.endpoints[0].figures[0].path",
		"inspect:\n  endpoints:\n    - endpoint: POST h /x\n      figures: [{path: $.n, name: \"{Id.N\"}]\n": "inspect.endpoints[0].figures[0].name",
	}
	for in, key := range cases {
		_, err := Parse([]byte(in))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), key+":") {
			t.Errorf("%q: got %v, want an error naming %s", in, err, key)
		}
	}
}

func TestParse_Hardening_GoodValuesStillAccepted(t *testing.T) {
	ok := []string{
		"intercept:\n  hosts: [\"*.citrixworkspacesapi.net\", \"*.github.io\", las.cloud.com, localhost]\n",
		"upstream:\n  no_proxy: [\"*\", .corp.example, \"*.corp.example\", 10.0.0.0/8, \"fe80::/10\", 10.1.2.3, \"::1\", \"host:8080\", \"[::1]:8080\", localhost]\n",
		"log:\n  max_files: 0\n",
		"inspect:\n  volatile: [\"$[\\\"tenant.id\\\"]\", \"$.a[]\", \"$.a[0].b\", \"/Root/F[1]/@id\", \"**:$.x\"]\n",
	}
	for _, in := range ok {
		if _, err := Parse([]byte(in)); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestConfig_ExposedProxy(t *testing.T) {
	for in, want := range map[string]string{
		"listen: 0.0.0.0:3128\nclients:\n  allow: [10.0.0.0/8, 0.0.0.0/0]\n": "0.0.0.0/0",
		"listen: \"[::]:3128\"\nclients:\n  allow: [\"::/0\"]\n":             "::/0",
		"listen: 127.0.0.1:3128\nclients:\n  allow: [0.0.0.0/0]\n":           "",
		"listen: 0.0.0.0:3128\nclients:\n  allow: [10.0.0.0/8]\n":            "",
	} {
		c, err := Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		got := c.ExposedProxy()
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%q: got %q, want a warning naming %q", in, got, want)
		}
	}
}
