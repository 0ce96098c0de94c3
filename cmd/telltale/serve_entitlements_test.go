package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
)

// TestServe_UIGetsConfigEntitlements: serve hands the config's licenses
// section to the review UI: its entitlements make the position's
// installed count, and entitlements entered in the UI are kept in the
// data directory.
func TestServe_UIGetsConfigEntitlements(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "licenses:\n  entitlements:\n    - {license: XDT_PLT_UD, quantity: 250, overdraft: 25}\n")
	startServe(t, "-c", cfg)
	base, hc, token := adminAPI(t, data)

	code, body := adminDo(t, hc, http.MethodGet, base+"/api/entitlements", token)
	var e struct {
		Config []struct {
			License  string  `json:"license"`
			Quantity float64 `json:"quantity"`
		} `json:"config"`
		Where string `json:"where"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &e) != nil {
		t.Fatalf("GET /api/entitlements: %d %s", code, body)
	}
	if len(e.Config) != 1 || e.Config[0].License != "XDT_PLT_UD" || e.Config[0].Quantity != 250 {
		t.Errorf("the UI's config entitlements: got %+v, want the config's XDT_PLT_UD 250", e.Config)
	}
	if want := filepath.Join(data, "entitlements.json"); e.Where != want {
		t.Errorf("entered entitlements kept in %q, want %q", e.Where, want)
	}
	code, body = adminDo(t, hc, http.MethodGet, base+"/api/position", token)
	var pos struct {
		Licenses []struct {
			Code          string `json:"code"`
			InstalledFrom string `json:"installed_from"`
			Installed     *struct {
				Value float64 `json:"value"`
			} `json:"installed"`
			Overdraft *float64 `json:"overdraft"`
		} `json:"licenses"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &pos) != nil {
		t.Fatalf("GET /api/position: %d %s", code, body)
	}
	found := false
	for _, l := range pos.Licenses {
		if l.Code == "XDT_PLT_UD" {
			found = true
			if l.Installed == nil || l.Installed.Value != 250 || l.Overdraft == nil || *l.Overdraft != 25 || l.InstalledFrom != "your entitlement (config licenses.entitlements)" {
				t.Errorf("position of XDT_PLT_UD: %+v, want installed 250 and overdraft 25 from the config", l)
			}
		}
	}
	if !found {
		t.Errorf("the position lacks the config's XDT_PLT_UD: %s", body)
	}
}
