package configs

import (
	"fmt"
	"strings"
	"time"
)

// Licenses (inspect.licenses) is what the buyer knows about its Citrix licenses beyond what
// the License Server sends: names for feature codes the built-in catalog
// lacks (analysis.Catalog), and the entitlements of its contract, which
// override or add to the installed counts the activation renewals report
// (telltale position).
type Licenses struct {
	// Products, Editions and Models add parts of feature codes
	// (PRODUCT_EDITION_MODEL) or rename built-in ones.
	Products []LicenseName `yaml:"products"`
	Editions []LicenseName `yaml:"editions"`
	Models   []LicenseName `yaml:"models"`
	// Entitlements are what the contract grants, per license.
	Entitlements []Entitlement `yaml:"entitlements"`
}

// LicenseName names one part of a feature code.
type LicenseName struct {
	Code    string   `yaml:"code"`    // "XDT"
	Name    string   `yaml:"name"`    // "Citrix Virtual Apps and Desktops"
	Aliases []string `yaml:"aliases"` // other spellings, e.g. the Licensing Manager's
}

// Entitlement is one license of the contract.
type Entitlement struct {
	// License is a feature code (XDT_PLT_UD) or its name in words.
	License string `yaml:"license"`
	// Quantity is the contract's count; it overrides the installed count.
	Quantity int `yaml:"quantity"`
	// Overdraft is the overdraft allowance in licenses, when known.
	Overdraft int `yaml:"overdraft"`
	// EndDate is the contract's end, YYYY-MM-DD; "" when open.
	EndDate string `yaml:"end_date"`
}

func (c *Config) checkLicenses() error {
	for what, parts := range map[string][]LicenseName{"products": c.Inspect.Licenses.Products, "editions": c.Inspect.Licenses.Editions, "models": c.Inspect.Licenses.Models} {
		for i, p := range parts {
			if strings.TrimSpace(p.Code) == "" || strings.TrimSpace(p.Name) == "" || strings.Contains(p.Code, "_") {
				return &KeyError{fmt.Sprintf("inspect.licenses.%s[%d]", what, i), "code and name are required, and a code has no underscore (example: {code: XDT, name: Citrix Virtual Apps and Desktops})"}
			}
		}
	}
	for i, e := range c.Inspect.Licenses.Entitlements {
		key := fmt.Sprintf("inspect.licenses.entitlements[%d]", i)
		if strings.TrimSpace(e.License) == "" || e.Quantity < 0 || e.Overdraft < 0 {
			return &KeyError{key, "license is required, quantity and overdraft are counts (example: {license: XDT_PLT_UD, quantity: 300, end_date: 2027-03-31})"}
		}
		if e.EndDate != "" {
			if _, err := time.Parse(time.DateOnly, e.EndDate); err != nil {
				return &KeyError{key + ".end_date", fmt.Sprintf("%q: want YYYY-MM-DD", e.EndDate)}
			}
		}
	}
	return nil
}
