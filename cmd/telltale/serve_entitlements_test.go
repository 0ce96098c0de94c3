package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/telltale/telltale/server"
)

// TestServe_UIGetsConfigEntitlements: serve hands the config's licenses
// section to the review UI: its entitlements make the position's
// installed count, and entitlements entered in the UI are kept in the
// data directory. A reload of the config (POST /-/reload, as SIGHUP)
// hands the UI the new section, without a restart.
func TestServe_UIGetsConfigEntitlements(t *testing.T) {
	v := newVendor(t)
	licenses := "licenses:\n  entitlements:\n    - {license: XDT_PLT_UD, quantity: 250, overdraft: 25}\n"
	cfg, data := writeConfig(t, v, licenses)
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

	// The config changes: another quantity, and a name for XDT.
	orig := string(mustRead(t, cfg))
	next := strings.Replace(orig, licenses, "licenses:\n  products:\n    - {code: XDT, name: Our Desktops}\n"+
		"  entitlements:\n    - {license: XDT_PLT_UD, quantity: 300, overdraft: 30}\n", 1)
	if next == orig {
		t.Fatal("the test's config lacks its licenses section")
	}
	os.WriteFile(cfg, []byte(next), 0o644)
	code, body = adminDo(t, hc, http.MethodPost, base+"/-/reload", token)
	var res server.ReloadResult
	if json.Unmarshal([]byte(body), &res); code != http.StatusOK || !slices.Contains(res.Applied, "licenses") || slices.Contains(res.RestartNeeded, "licenses") {
		t.Errorf("reload: %d %s, want licenses applied without a restart", code, body)
	}
	code, body = adminDo(t, hc, http.MethodGet, base+"/api/entitlements", token)
	if json.Unmarshal([]byte(body), &e); code != http.StatusOK || len(e.Config) != 1 || e.Config[0].Quantity != 300 {
		t.Errorf("the UI's config entitlements after the reload: got %+v, want XDT_PLT_UD 300", e.Config)
	}
	_, body = adminDo(t, hc, http.MethodGet, base+"/api/position", token)
	var after struct {
		Licenses []struct {
			Code        string `json:"code"`
			ProductName string `json:"product_name"`
			Installed   *struct {
				Value float64 `json:"value"`
			} `json:"installed"`
		} `json:"licenses"`
	}
	json.Unmarshal([]byte(body), &after)
	i := slices.IndexFunc(after.Licenses, func(l struct {
		Code        string `json:"code"`
		ProductName string `json:"product_name"`
		Installed   *struct {
			Value float64 `json:"value"`
		} `json:"installed"`
	}) bool {
		return l.Code == "XDT_PLT_UD"
	})
	if i < 0 || after.Licenses[i].Installed == nil || after.Licenses[i].Installed.Value != 300 || after.Licenses[i].ProductName != "Our Desktops" {
		t.Errorf("the position after the reload: %s\nwant XDT_PLT_UD installed 300, named Our Desktops", body)
	}
}
