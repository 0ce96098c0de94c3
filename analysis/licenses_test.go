package analysis

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestCatalog_Describe(t *testing.T) {
	var c *Catalog
	for code, want := range map[string]string{
		"XDT_PLT_UD":  "Citrix Virtual Apps and Desktops Premium, User/Device",
		"MPS_ENT_CCU": "Citrix Virtual Apps Advanced, Concurrent User",
		"XDS_ADV_CCS": "Citrix Virtual Desktops Advanced, Concurrent System",
		"cag_aac_ccu": "Citrix Gateway Advanced Access Control, Concurrent User",
	} {
		if l := c.Describe(code); l.Name() != want || !l.Known {
			t.Errorf("%s: got %q (known %v), want %q", code, l.Name(), l.Known, want)
		}
	}
	if l := c.Describe("ZZZ_PLT_UD"); l.Known || l.ProductName != "ZZZ" || l.EditionName != "Premium" {
		t.Errorf("unknown product: %+v", l)
	}
	ext := NewCatalog([]LicensePart{{Code: "ZZZ", Name: "Acme Workspace"}}, nil, []LicensePart{{Code: "UD", Name: "Named user"}})
	if l := ext.Describe("ZZZ_PLT_UD"); !l.Known || l.Name() != "Acme Workspace Premium, Named user" {
		t.Errorf("extended catalog: %+v", l)
	}
}

func TestCatalog_ResolveAndLookup(t *testing.T) {
	var c *Catalog
	known := []string{"XDT_PLT_CCS", "XDT_PLT_UD", "CAG_AAC_CCU", "XDS_ADV_CCS"}
	cases := []struct{ product, edition, model, want string }{
		{"Citrix Virtual Apps and Desktops", "Premium", "Concurrent", "XDT_PLT_CCS"},
		{"citrix virtual apps and desktops", "Platinum", "UserDevice", "XDT_PLT_UD"},
		{"Citrix Virtual Apps and Desktops Premium", "", "User/Device", "XDT_PLT_UD"},
		{"XDS", "ADV", "CCS", "XDS_ADV_CCS"},
		{"Citrix Virtual Apps", "Premium", "Concurrent", ""}, // not held
		{"MPS", "PLT", "CCU", "MPS_PLT_CCU"},                 // codes name it even when not held
	}
	for _, tc := range cases {
		got, ok := c.Resolve(tc.product, tc.edition, tc.model, known)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Resolve(%q, %q, %q): got %q %v, want %q", tc.product, tc.edition, tc.model, got, ok, tc.want)
		}
	}
	// Concurrent is ambiguous when both concurrent models are held.
	if got, ok := c.Resolve("XDT", "PLT", "Concurrent", append(known, "XDT_PLT_CCU")); ok {
		t.Errorf("ambiguous model resolved to %q", got)
	}
	for name, want := range map[string]string{"xdt_plt_ud": "XDT_PLT_UD", "Citrix Virtual Apps and Desktops Premium User/Device": "XDT_PLT_UD", "Citrix Gateway": ""} {
		if got, _ := c.Lookup(name, known); got != want {
			t.Errorf("Lookup(%q): got %q, want %q", name, got, want)
		}
	}
}

// historicalPoints are what the License Server reported for the fixture's
// two usage days (3 and 4 May 2026, sent the next day).
func historicalPoints() []Point {
	var pts []Point
	add := func(day, name string, v float64, id int) {
		pts = append(pts, Point{ID: fmt.Sprint(id), Day: day, Time: day + "T02:00:00Z", Name: name, Value: v})
	}
	for i, d := range []struct {
		day                            string
		ccs, ud, cag, xds, udInstalled float64
		sentID                         int
	}{{"2026-05-03", 250, 96, 301, 402, 100, 10}, {"2026-05-04", 260, 110, 310, 1010, 100, 20}} {
		add(d.day, "XDT_PLT_CCS.CountUsedMax", d.ccs, d.sentID)
		add(d.day, "XDT_PLT_UD.CountUsedMax", d.ud, d.sentID)
		add(d.day, "CAG_AAC_CCU.CountUsedMax", d.cag, d.sentID)
		add(d.day, "XDS_ADV_CCS.CountUsedMax", d.xds, d.sentID)
		add(d.day, "XDT_PLT_UD.Installed", d.udInstalled, d.sentID+1)
		add(d.day, "XDT_PLT_CCS.Installed", 500, d.sentID+1)
		add(d.day, "CAG_AAC_CCU.Installed", 1000, d.sentID+1)
		add(d.day, "XDS_ADV_CCS.Installed", 1000, d.sentID+1+i)
	}
	return pts
}

// TestReconcile_HistoricalUseExport: the Licensing Manager's export, by
// usage day and with product names, is recognised from its header and
// reconciles with no false mismatch: peak and overdraft apart, the one
// real difference found, and the license this server never reported
// said to match nothing instead of counted as a disagreement.
func TestReconcile_HistoricalUseExport(t *testing.T) {
	b, err := os.ReadFile("testdata/historical-use.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !IsHistoricalUse(b) || IsHistoricalUse([]byte("date,figure,value\n")) {
		t.Fatal("IsHistoricalUse: the export's header is not recognised, or a plain one is")
	}
	pts := historicalPoints()
	f, _ := os.Open("testdata/historical-use.csv")
	defer f.Close()
	ms, format, err := ReadMeasurements(f, Mapping{}, nil, KnownLicenses(pts))
	if err != nil || format != FormatHistorical {
		t.Fatalf("ReadMeasurements: %v, format %q", err, format)
	}
	res := Reconcile(WithOverdraft(pts), ms, Tolerance{})
	var got []string
	for _, m := range res.Mismatches {
		got = append(got, m.Date+" "+m.Name+" "+m.Kind)
	}
	want := []string{"2026-05-04 CAG_AAC_CCU.CountUsedMax measured_higher"}
	if !slices.Equal(got, want) {
		t.Errorf("mismatches: got %q, want %q", got, want)
	}
	if res.Counts[Unmatched] != 2 || !slices.Equal(res.Unmatched, []string{"Citrix Virtual Apps Premium, Concurrent.CountUsedMax", "Citrix Virtual Apps Premium, Concurrent.Overdraft"}) {
		t.Errorf("unmatched: %d %q", res.Counts[Unmatched], res.Unmatched)
	}
	// 8 peaks and 8 overdrafts compared; all but one agree.
	if res.Compared != 16 || res.Agreed != 15 || res.Days != 18 {
		t.Errorf("compared %d agreed %d days %d, want 16, 15, 18", res.Compared, res.Agreed, res.Days)
	}
	sum := 0
	for _, n := range res.Counts {
		sum += n
	}
	if sum != res.Days {
		t.Errorf("counts %v add up to %d, not %d", res.Counts, sum, res.Days)
	}
}

func TestReadMeasurements_PlainWithLicenseNames(t *testing.T) {
	known := []string{"XDT_PLT_UD"}
	ms, format, err := ReadMeasurements(strings.NewReader("date,figure,value\n2026-05-03,Citrix Virtual Apps and Desktops Premium User/Device,96\n2026-05-03,XDT_PLT_UD.Installed,100\n"), Mapping{}, nil, known)
	if err != nil || format != FormatPlain || len(ms) != 2 || ms[0].Name != "XDT_PLT_UD.CountUsedMax" || ms[1].Name != "XDT_PLT_UD.Installed" {
		t.Errorf("got %+v %q %v", ms, format, err)
	}
}
