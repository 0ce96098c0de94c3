package analysis

import (
	"slices"
	"strings"
	"testing"
)

const usageURL = "https://cis.citrix.com/api/upload/LicenseServer.OnPremUsage"

func usageBundle(t *testing.T, rows ...string) msg {
	csv := "EventTimeMs,Event,Feature,User,Device\r\n" + strings.Join(rows, "\r\n") + "\r\n"
	return msg{ctype: "application/zip", body: zipOf(t, "ue_lt_1.zip", string(zipOf(t, "ue_lt_1.csv", csv)), "manifest.json", `{"TotalFiles":1}`)}
}

func TestIdentities_InventoryCountsUploadsEndpointsAndFlagsPlainUsers(t *testing.T) {
	st, _ := mustStore(t)
	var alerts []PlainUsers
	o := complianceRules
	o.OnPlainUsers = func(p PlainUsers) { alerts = append(alerts, p) }
	a := mustNew(t, st, o)
	c1 := mustExchange(t, st, "POST", complianceURL, compliance(t, 1, nil, feature{"CAG_AAC_CCU", 3, []string{"WKS-01", "WKS-02"}}), 202, receipt(1))
	a.Start()
	flush(t, a)
	u1 := mustExchange(t, st, "POST", usageURL, usageBundle(t, "1,CHECKOUT,CAG_AAC_CCU,ann.lee@corp.example.com,WKS-01"), 202, receipt(2))
	a.Notify(3)
	flush(t, a)
	u2 := mustExchange(t, st, "POST", usageURL, usageBundle(t, "2,CHECKIN,CAG_AAC_CCU,ann.lee@corp.example.com,WKS-03", "3,CHECKOUT,CAG_AAC_CCU,S-1-5-21-1004336348-1177238915-682003330-1105,10.1.2.3"), 202, receipt(3))
	a.Notify(5)
	flush(t, a)

	ids, err := a.Identities()
	if err != nil {
		t.Fatal(err)
	}
	byValue := map[string]Identity{}
	for _, id := range ids {
		byValue[id.Category+" "+id.Value] = id
	}
	ann := byValue["email ann.lee@corp.example.com"]
	if ann.Uploads != 2 || ann.FirstID != u1 || ann.LastID != u2 || !ann.Plain ||
		!slices.Equal(ann.Endpoints, []string{"POST cis.citrix.com /api/upload/LicenseServer.OnPremUsage"}) {
		t.Errorf("ann: %+v", ann)
	}
	wks := byValue["host_name WKS-01"]
	if wks.Uploads != 2 || wks.FirstID != c1 || len(wks.Endpoints) != 2 {
		t.Errorf("WKS-01 (device list, then usage CSV): %+v", wks)
	}
	for _, k := range []string{"host_name WKS-02", "host_name WKS-03", "sid S-1-5-21-1004336348-1177238915-682003330-1105", "ip_address 10.1.2.3", "host_name ctxlic01.corp.example.com"} {
		if _, ok := byValue[k]; !ok {
			t.Errorf("missing %s in %v", k, ids)
		}
	}
	an := CheckAnonymisation(ids)
	if an.InEffect || an.Plain != 1 || an.Example != "ann.lee@corp.example.com" {
		t.Errorf("anonymisation: %+v", an)
	}
	if len(alerts) != 2 || alerts[0].ID != u1 || alerts[0].Count != 1 {
		t.Errorf("OnPlainUsers: %+v", alerts)
	}
}

func TestDecoded_ListsTheIdentitiesOfTheRequest(t *testing.T) {
	st, _ := mustStore(t)
	a := mustNew(t, st, Options{})
	id := mustExchange(t, st, "POST", usageURL, usageBundle(t, "1,CHECKOUT,X,bo.li@corp.example.com,WKS-01"), 202, receipt(1))
	d, err := a.Decoded(id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range d.Request.Identities {
		got = append(got, f.Category+" "+f.Value)
	}
	if d.Request.IdentityCount != 2 || !slices.Contains(got, "email bo.li@corp.example.com") || !slices.Contains(got, "host_name WKS-01") {
		t.Errorf("identities: %d %q", d.Request.IdentityCount, got)
	}
}
