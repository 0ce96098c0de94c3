package analysis

import (
	"slices"
	"strings"
)

// License is what a Citrix license feature code says: Citrix names a
// license PRODUCT_EDITION_MODEL ("XDT_PLT_UD": Citrix Virtual Apps and
// Desktops, Premium, user/device).
type License struct {
	Code        string `json:"code"`
	Product     string `json:"product"`      // XDT
	ProductName string `json:"product_name"` // Citrix Virtual Apps and Desktops
	Edition     string `json:"edition"`      // PLT
	EditionName string `json:"edition_name"` // Premium
	Model       string `json:"model"`        // UD
	ModelName   string `json:"model_name"`   // User/Device
	// Known: every part of the code is in the catalog; otherwise the
	// unknown parts are shown as the code has them.
	Known bool `json:"known"`
}

// Name is the license in words: "Citrix Virtual Apps and Desktops
// Premium, User/Device".
func (l License) Name() string {
	return strings.TrimSpace(l.ProductName+" "+l.EditionName) + ", " + l.ModelName
}

// LicensePart is one product, edition or model of the catalog: its code,
// its name, and other names it goes by (older names, the Licensing
// Manager's spelling).
type LicensePart struct {
	Code    string   `json:"code" yaml:"code"`
	Name    string   `json:"name" yaml:"name"`
	Aliases []string `json:"aliases,omitempty" yaml:"aliases"`
}

// The built-in catalog, from Citrix's public naming:
//
//   - Product IDs XDT and MPS, models UserDevice and Concurrent, editions
//     "PLT/Premium or ENT/Advanced": "Multi-type licensing", Citrix
//     Virtual Apps and Desktops documentation, with its license
//     compatibility matrix of old and new product names
//     (docs.citrix.com/en-us/citrix-virtual-apps-desktops/1912-ltsr/manage-deployment/licensing/multi-type-licensing.html).
//   - XDS and XDT as the two increment lines of a Virtual Desktops
//     license, CCS "Concurrent System" and UD "User/Device": CTX130944,
//     "Citrix Virtual Desktops Licensing - Increment Lines Explained".
//   - CAG_AAC_CCU and XDS_ADV_CCS as feature ids of the compliance upload:
//     "Citrix License Server data elements" (licensing 11-17-2-54100).
//   - The Licensing Manager's Dashboard and Historical Use pages name
//     licenses by "Product & Edition" and "Model"
//     (docs.citrix.com/en-us/licensing/current-release/citrix-licensing-manager/dashboard-historical-use).
//
// Inferred, not documented: that CAG is Citrix Gateway (formerly Access
// Gateway) and AAC its Advanced Access Control edition; STD as Standard
// and ADV as Advanced outside Virtual Apps and Desktops; CCU as
// concurrent user. The config's licenses section adds or renames parts.
var (
	builtinProducts = []LicensePart{
		{"XDT", "Citrix Virtual Apps and Desktops", []string{"XenDesktop", "Citrix Virtual Desktops", "CVAD"}},
		{"XDS", "Citrix Virtual Desktops", []string{"XenDesktop (XDS increment line)"}},
		{"MPS", "Citrix Virtual Apps", []string{"XenApp"}},
		{"CAG", "Citrix Gateway", []string{"NetScaler Gateway", "Access Gateway"}},
	}
	builtinEditions = []LicensePart{
		{"PLT", "Premium", []string{"Platinum"}},
		{"ENT", "Advanced", []string{"Enterprise"}},
		{"ADV", "Advanced", nil},
		{"STD", "Standard", nil},
		{"AAC", "Advanced Access Control", nil},
	}
	builtinModels = []LicensePart{
		{"UD", "User/Device", []string{"UserDevice", "User Device", "User-Device"}},
		{"CCU", "Concurrent User", []string{"Concurrent"}},
		{"CCS", "Concurrent System", []string{"Concurrent"}},
	}
)

// Catalog names license feature codes. The zero value is the built-in
// catalog; NewCatalog adds the config's parts.
type Catalog struct {
	products, editions, models []LicensePart
}

// NewCatalog is the built-in catalog with extra parts: a part whose code
// is built in replaces it (a new name), others are added.
func NewCatalog(products, editions, models []LicensePart) *Catalog {
	return &Catalog{
		products: mergeParts(builtinProducts, products),
		editions: mergeParts(builtinEditions, editions),
		models:   mergeParts(builtinModels, models),
	}
}

func mergeParts(base, extra []LicensePart) []LicensePart {
	out := slices.Clone(base)
	for _, p := range extra {
		p.Code = strings.ToUpper(strings.TrimSpace(p.Code))
		if i := slices.IndexFunc(out, func(b LicensePart) bool { return b.Code == p.Code }); i >= 0 {
			out[i] = p
		} else {
			out = append(out, p)
		}
	}
	return out
}

func (c *Catalog) parts() (products, editions, models []LicensePart) {
	if c == nil || c.products == nil {
		return builtinProducts, builtinEditions, builtinModels
	}
	return c.products, c.editions, c.models
}

// Describe tells what a feature code means. A code that is not
// PRODUCT_EDITION_MODEL, or has parts the catalog lacks, is described as
// far as it goes (Known false).
func (c *Catalog) Describe(code string) License {
	code = strings.ToUpper(strings.TrimSpace(code))
	l := License{Code: code, ProductName: code}
	f := strings.Split(code, "_")
	if len(f) != 3 {
		return l
	}
	products, editions, models := c.parts()
	l.Product, l.Edition, l.Model = f[0], f[1], f[2]
	p, okp := partOf(products, f[0])
	e, oke := partOf(editions, f[1])
	m, okm := partOf(models, f[2])
	l.ProductName, l.EditionName, l.ModelName = p.Name, e.Name, m.Name
	l.Known = okp && oke && okm
	return l
}

func partOf(parts []LicensePart, code string) (LicensePart, bool) {
	for _, p := range parts {
		if p.Code == code {
			return p, true
		}
	}
	return LicensePart{Code: code, Name: code}, false
}

// Parts lists the catalog: products, editions, models.
func (c *Catalog) Parts() (products, editions, models []LicensePart) { return c.parts() }

// partMatches reports whether a cell names a part: its code, its name or
// an alias, in any case and spacing.
func partMatches(p LicensePart, cell string) bool {
	k := fold(cell)
	if k == "" {
		return false
	}
	if k == fold(p.Code) || k == fold(p.Name) {
		return true
	}
	for _, a := range p.Aliases {
		if k == fold(a) {
			return true
		}
	}
	return false
}

// fold is a name compared: lower case, letters and digits only.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Resolve finds the feature code that a product, an edition and a model
// name, as the Licensing Manager writes them ("Citrix Virtual Apps and
// Desktops", "Premium", "Concurrent"), or their codes, stand for. A name
// such as "Advanced" or "Concurrent" fits several codes: known, the codes
// the License Server reported, decides among them. The product cell may
// hold the edition too ("Citrix Virtual Apps and Desktops Premium"),
// and edition may then be "". It reports false when no code, or more
// than one, fits.
func (c *Catalog) Resolve(product, edition, model string, known []string) (string, bool) {
	fits := func(code string) bool {
		l := c.Describe(code)
		if l.Model == "" {
			return false
		}
		products, editions, models := c.parts()
		p, _ := partOf(products, l.Product)
		e, _ := partOf(editions, l.Edition)
		m, _ := partOf(models, l.Model)
		if !partMatches(m, model) {
			return false
		}
		if edition != "" {
			return partMatches(p, product) && partMatches(e, edition)
		}
		// "Product & Edition" in one cell.
		return combinedMatches(p, e, product)
	}
	var found []string
	for _, code := range known {
		if fits(code) && !slices.Contains(found, code) {
			found = append(found, code)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	if len(found) == 0 {
		// Codes in the cells themselves: "XDT", "PLT", "UD".
		if code := strings.ToUpper(fold(product) + "_" + fold(edition) + "_" + fold(model)); edition != "" && c.Describe(code).Known {
			return code, true
		}
	}
	return "", false
}

// combinedMatches reports whether cell is a product name and an edition
// name together, in either's spellings.
func combinedMatches(p, e LicensePart, cell string) bool {
	k := fold(cell)
	for _, pn := range append([]string{p.Code, p.Name}, p.Aliases...) {
		for _, en := range append([]string{e.Code, e.Name}, e.Aliases...) {
			if k == fold(pn+en) {
				return true
			}
		}
	}
	return false
}

// Lookup finds the feature code a name stands for: a code
// ("xdt_plt_ud"), or a license's name in words ("Citrix Virtual Apps and
// Desktops Premium User/Device"), among the known codes.
func (c *Catalog) Lookup(name string, known []string) (string, bool) {
	up := strings.ToUpper(strings.TrimSpace(name))
	for _, k := range known {
		if k == up {
			return k, true
		}
	}
	k := fold(name)
	var found []string
	for _, code := range known {
		l := c.Describe(code)
		if !l.Known {
			continue
		}
		products, editions, models := c.parts()
		p, _ := partOf(products, l.Product)
		e, _ := partOf(editions, l.Edition)
		m, _ := partOf(models, l.Model)
		for _, mn := range append([]string{m.Code, m.Name}, m.Aliases...) {
			if strings.HasSuffix(k, fold(mn)) && combinedMatches(p, e, strings.TrimSuffix(k, fold(mn))) && !slices.Contains(found, code) {
				found = append(found, code)
			}
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return "", false
}

// Entitlement is one license of the buyer's contract, entered in the
// config or the review UI: it overrides the installed count the License Server reports,
// or adds a license it does not report.
type Entitlement struct {
	License   string  `json:"license"` // a code, or a name the catalog knows
	Quantity  float64 `json:"quantity"`
	Overdraft float64 `json:"overdraft,omitempty"` // allowance, licenses
	EndDate   string  `json:"end_date,omitempty"`  // YYYY-MM-DD
	// From says where it was entered ("config licenses.entitlements",
	// "entered in the review UI"), for the position's words.
	From string `json:"from,omitempty"`
}
