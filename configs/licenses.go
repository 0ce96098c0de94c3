package configs

import (
	"fmt"
	"strings"
	"time"
)

// Licenses (the top-level licenses section) is what the buyer knows
// about its Citrix licenses beyond what the License Server sends: names
// for feature codes the built-in catalog lacks (analysis.Catalog), and the
// entitlements of its contract, which override or add to the installed
// counts the activation renewals report (telltale position). The review
// UI can add entitlements too; they are kept in the data directory
// (DATA/entitlements.json), not in this file.
//
// Earlier versions read it under inspect.licenses: that still works, but
// not both at once.
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

// empty reports a section with nothing in it.
func (l Licenses) empty() bool {
	return len(l.Products)+len(l.Editions)+len(l.Models)+len(l.Entitlements) == 0
}

// LicenseSection is the licenses section in effect: the top-level one,
// or inspect.licenses where an older config keeps it.
func (c *Config) LicenseSection() Licenses {
	if c.Licenses.empty() {
		return c.Inspect.Licenses
	}
	return c.Licenses
}

func (c *Config) checkLicenses() error {
	prefix, l := "licenses", c.Licenses
	switch {
	case !c.Licenses.empty() && !c.Inspect.Licenses.empty():
		return &KeyError{"inspect.licenses", "the licenses section is now top-level: move inspect.licenses into licenses (both are set)"}
	case c.Licenses.empty():
		prefix, l = "inspect.licenses", c.Inspect.Licenses
	}
	for what, parts := range map[string][]LicenseName{"products": l.Products, "editions": l.Editions, "models": l.Models} {
		for i, p := range parts {
			if strings.TrimSpace(p.Code) == "" || strings.TrimSpace(p.Name) == "" || strings.Contains(p.Code, "_") {
				return &KeyError{fmt.Sprintf("%s.%s[%d]", prefix, what, i), "code and name are required, and a code has no underscore (example: {code: XDT, name: Citrix Virtual Apps and Desktops})"}
			}
		}
	}
	for i, e := range l.Entitlements {
		if err := e.Check(); err != nil {
			return &KeyError{fmt.Sprintf("%s.entitlements[%d]", prefix, i), err.Error()}
		}
	}
	return nil
}

// Check says what is wrong with an entitlement, in words; nil when
// nothing is. The review UI checks what it is given with it too.
func (e Entitlement) Check() error {
	if strings.TrimSpace(e.License) == "" || e.Quantity < 0 || e.Overdraft < 0 {
		return fmt.Errorf("license is required, quantity and overdraft are counts (example: {license: XDT_PLT_UD, quantity: 300, end_date: 2027-03-31})")
	}
	if e.EndDate != "" {
		if _, err := time.Parse(time.DateOnly, e.EndDate); err != nil {
			return fmt.Errorf("end_date %q: want YYYY-MM-DD", e.EndDate)
		}
	}
	return nil
}
