package configs

import (
	"errors"
	"strings"
	"testing"
)

func TestParse_Inspect_DefaultCitrixProfile(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	in := c.Inspect
	if !in.HeuristicFigures || len(in.Templates) == 0 || len(in.VolatileHeaders) == 0 {
		t.Errorf("inspect defaults: got %+v", in)
	}
	for _, v := range []string{"$**.UTCDate", "$**.UI", "$**.nonce", "$**.TransactionId"} {
		if !strings.Contains(strings.Join(in.Volatile, " "), v) {
			t.Errorf("inspect.volatile lacks %s", v)
		}
	}
	var compliance *InspectEndpoint
	for i, e := range in.Endpoints {
		if strings.HasSuffix(e.Endpoint, "/LicenseServerCompliance") {
			compliance = &in.Endpoints[i]
		}
	}
	if compliance == nil || compliance.Keys["$.Data.Features"] != "Id" || compliance.Time != "$.UTCDate" {
		t.Fatalf("compliance rule: got %+v", compliance)
	}
	names := map[string]bool{}
	for _, f := range compliance.Figures {
		names[f.Name] = true
	}
	for _, n := range []string{"{Id}.CountUsedMax", "{Id}.UsersReleased", "{Id}.DevicesReleased", "{Id}.CCUDevices", "LicenseServer.Version", "LicenseServer.FQDN"} {
		if !names[n] {
			t.Errorf("compliance figures lack %s", n)
		}
	}
}

func TestParse_Inspect_UserListReplacesDefault(t *testing.T) {
	c, err := Parse([]byte("inspect:\n  endpoints:\n    - endpoint: POST example.com /x\n      figures: [{path: $.n, name: N}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Inspect.Endpoints) != 1 || !c.Inspect.HeuristicFigures || len(c.Inspect.Volatile) == 0 {
		t.Errorf("got %+v", c.Inspect)
	}
}

func TestParse_Inspect_ErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"inspect:\n  templates: [support/x]\n":                                              "inspect.templates[0]",
		"inspect:\n  endpoints:\n    - endpoint: cis.citrix.com /x\n":                       "inspect.endpoints[0].endpoint",
		"inspect:\n  endpoints:\n    - endpoint: POST h [x\n":                               "inspect.endpoints[0].endpoint",
		"inspect:\n  endpoints:\n    - endpoint: POST h /x\n      figures: [{path: $.a}]\n": "inspect.endpoints[0].figures[0]",
		"inspect:\n  endpoints:\n    - endpoint: POST h /x\n      keys: {\"$.a\": \"\"}\n":  "inspect.endpoints[0].keys",
		"inspect:\n  endpoint: []\n":                                                        "endpoint",
	}
	for in, key := range cases {
		_, err := Parse([]byte(in))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: got %v, want an error naming %s", in, err, key)
		}
	}
}
