package analysis

import "testing"

func TestTemplate_GeneralisesIdsKeepsWords(t *testing.T) {
	cases := map[string]string{
		"/tbcust7k2q9x/licenseserver/activation/renew":                    "/{ccid}/licenseserver/activation/renew",
		"/support/tbcust7k2q9x/cvad/listls":                               "/support/{ccid}/cvad/listls",
		"/api/upload/LicenseServerCompliance":                             "/api/upload/LicenseServerCompliance",
		"/api/upload/LicenseServer.OnPremUsage":                           "/api/upload/LicenseServer.OnPremUsage",
		"/api/ceip/SendBrokerTelemetryData":                               "/api/ceip/SendBrokerTelemetryData",
		"/root/tokens/clients":                                            "/root/tokens/clients",
		"/v2/items/12345":                                                 "/v2/items/{id}",
		"/ls/6F9619FF-8B86-D011-B42D-00C04FC964FF/status":                 "/ls/{guid}/status",
		"/ls/{6f9619ff-8b86-d011-b42d-00c04fc964ff}":                      "/ls/{guid}",
		"/blobs/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15": "/blobs/{hash}",
		"/t/eyJhbGciOiJIUzI1NiJ9abcDEF123_-xyz":                           "/t/{token}",
		"/files/ue_lt_1683864965.zip":                                     "/files/ue_lt_{n}.zip",
		"/":                                                               "/",
		"/LicenseServerComplianceUploadForCustomers":                      "/LicenseServerComplianceUploadForCustomers",
	}
	for in, want := range cases {
		if got := Template(in); got != want {
			t.Errorf("Template(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestEndpointOf_ConfiguredTemplateWinsQueryDropped(t *testing.T) {
	ts := Templates{"/support/{ccid}/{product}/listls"}
	e := EndpointOf("post", "LAS.cloud.com", "https://las.cloud.com:443/support/tbcust7k2q9x/cvad/listls?x=1", ts)
	if e.String() != "POST las.cloud.com /support/{ccid}/{product}/listls" {
		t.Errorf("got %q", e)
	}
	if p, ok := ParseEndpoint(e.String()); !ok || p != e {
		t.Errorf("ParseEndpoint(%q): got %+v %v", e, p, ok)
	}
	if !SameTemplate("/support/abc12345/xd/listls", e.Template, ts) || SameTemplate("/support/x/listls", e.Template, ts) {
		t.Errorf("SameTemplate: wrong answer")
	}
}
