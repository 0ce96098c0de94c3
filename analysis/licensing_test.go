package analysis

import (
	"strings"
	"testing"
)

func TestLicensing_SummaryFirst_FeaturesByIdDevicesAsSets(t *testing.T) {
	st, _ := mustStore(t)
	rules := complianceRules
	rules.Rules = append([]Rule(nil), complianceRules.Rules...)
	rules.Rules[0].Name = "Compliance upload"
	rules.Rules[0].Figures = append([]Extractor(nil), rules.Rules[0].Figures...)
	rules.Rules[0].Figures[0].Label = "in use"
	a := mustNew(t, st, rules)
	first := mustExchange(t, st, "POST", complianceURL, compliance(t, 1, nil,
		feature{"CAG_AAC_CCU", 360, []string{"D1", "D2", "D3"}}, feature{"XDS_ADV_CCS", 440, []string{"D9"}}), 202, receipt(1))
	// Day 2: features in another order, a feature added, D2 replaced by D7
	// at the same position, a new field.
	second := mustExchange(t, st, "POST", complianceURL, compliance(t, 2, map[string]any{"ActivationMode": "Online"},
		feature{"XDT_PLT_UD", 28, nil}, feature{"XDS_ADV_CCS", 440, []string{"D9"}}, feature{"CAG_AAC_CCU", 372, []string{"D1", "D7", "D3"}}), 202, receipt(2))

	d, err := a.Licensing("", second, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range d.Summary {
		got = append(got, l.Text)
	}
	want := []string{
		"XDT_PLT_UD added: 28 in use",
		"CAG_AAC_CCU CountUsedMax 360 → 372 (+12)",
		"CAG_AAC_CCU CCUDevices: 1 joined, 1 left",
		`new field $.Data.LicenseServer.ActivationMode = "Online"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary:\n got %q\nwant %q", got, want)
	}
	if d.Name != "Compliance upload" || d.First {
		t.Errorf("name %q first %v", d.Name, d.First)
	}
	for _, c := range d.Changes {
		if strings.Contains(c.Path, "CCUDevices[") && c.Op == "changed" {
			t.Errorf("device list matched by position: %s %v -> %v", c.Path, c.From, c.To)
		}
	}

	f, err := a.Licensing("", first, CompareOptions{})
	if err != nil {
		t.Fatalf("the first capture is not an error: %v", err)
	}
	if !f.First || len(f.Summary) != 1 || !strings.Contains(f.Summary[0].Text, "first Compliance upload") {
		t.Errorf("first capture: %+v", f)
	}
}
