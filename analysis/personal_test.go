package analysis

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"testing"

	"github.com/telltale/telltale/inspect"
)

func citrixHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:16])
}

func TestPersonal_FlagsIdentifiersNotLookalikes(t *testing.T) {
	doc := `{
	  "header": {"ver": "1.0", "id": "0b6f4e2a-1c1d-4d3e-9f00-123456789abc", "prodVer": "7.41.2000.12"},
	  "users": [{"fullName": "` + citrixHash("anna") + `", "upn": "` + citrixHash("anna@corp.example.com") + `",
	             "userSid": "` + citrixHash("S-1-5-21-1-2-3-1100") + `"}],
	  "device": {"name": "` + citrixHash("CTXDDC01") + `"},
	  "LicenseServer": {"FQDN": "ctxlic01.corp.example.com", "Version": "11.17.2.0", "UI": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
	  "site": {"hostingLocation": "OnPremises"},
	  "owner": {"upn": "ben.smith@corp.example.com", "sid": "S-1-5-21-1004336348-1177238915-682003330-1105", "client": "10.1.2.3"},
	  "Features": [{"CCUDevices": ["DESKTOP-AB12CD3", "DESKTOP-XY98ZW7"]}],
	  "contact": "ops@example.com"
	}`
	p := inspect.Decode([]byte(doc), inspect.Meta{ContentType: "application/json"}, inspect.Options{})
	got := map[string]string{}
	for _, f := range Personal(inspect.Fields(p)) {
		got[f.Path] = f.Category
	}
	want := map[string]string{
		"$.users[0].fullName":      PersonalHashedID,
		"$.users[0].upn":           PersonalHashedID,
		"$.users[0].userSid":       PersonalHashedID,
		"$.device.name":            PersonalHashedID,
		"$.LicenseServer.FQDN":     PersonalHostName,
		"$.owner.upn":              PersonalUPN,
		"$.owner.sid":              PersonalSID,
		"$.owner.client":           PersonalIP,
		"$.Features[0].CCUDevices": PersonalDeviceID,
		"$.contact":                PersonalEmail,
	}
	for path, cat := range want {
		if got[path] != cat {
			t.Errorf("%s: got %q, want %q", path, got[path], cat)
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("%s flagged as %q, want not flagged", path, got[path])
		}
	}
}

func TestPersonal_CSVText(t *testing.T) {
	csv := "EventTimeMs,Event,Feature,User,Device\r\n1683864965000,CHECKOUT,XDS_ADV_CCS,anna.meyer0@corp.example.com,DESKTOP-AB12CD3\r\n" +
		"1683864966000,CHECKIN,XDS_ADV_CCS,ben.smith1@corp.example.com,DESKTOP-XY98ZW7\r\n"
	z := zipOf(t, "ue_lt_1683864965.csv", csv)
	p := inspect.Decode(z, inspect.Meta{ContentType: "application/zip"}, inspect.Options{})
	var got []string
	for _, f := range Personal(inspect.Fields(p)) {
		got = append(got, f.Path+" "+f.Category)
		if f.Category == PersonalEmail && f.Count != 2 {
			t.Errorf("e-mail count: got %d, want 2", f.Count)
		}
	}
	want := []string{"ue_lt_1683864965.csv email", "ue_lt_1683864965.csv user_name", "ue_lt_1683864965.csv host_name"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPersonal_TextCounters(t *testing.T) {
	s := "a@b.com, x@y, @nobody.com; c.d+e@mail.corp.example.com\nS-1-5-21-1-2-3-1100 S-1-5-21-9 S-1-5-18\n" +
		"10.0.0.1 and 192.168.1.254:443; version 11.17.2.0.5, 256.1.1.1, v1.2.3.4, 1.2.3\n"
	if n := countEmails(s); n != 2 {
		t.Errorf("emails: got %d, want 2", n)
	}
	if n := countSIDs(s); n != 1 {
		t.Errorf("SIDs: got %d, want 1", n)
	}
	if n := countIPv4(s); n != 2 {
		t.Errorf("IPv4: got %d, want 2", n)
	}
}
