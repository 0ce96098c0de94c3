package configs

import (
	"errors"
	"strings"
	"testing"
)

// TestLicenses_TopLevelAndOldPlace: the section is read at the top level,
// still under inspect.licenses, and refused in words when in both.
func TestLicenses_TopLevelAndOldPlace(t *testing.T) {
	top, err := Parse([]byte("licenses:\n  entitlements:\n    - {license: XDT_PLT_UD, quantity: 300}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := top.LicenseSection().Entitlements; len(got) != 1 || got[0].Quantity != 300 {
		t.Errorf("top-level: got %+v, want one of 300", got)
	}
	old, err := Parse([]byte("inspect:\n  licenses:\n    entitlements:\n      - {license: MPS_STD_CCU, quantity: 7}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := old.LicenseSection().Entitlements; len(got) != 1 || got[0].License != "MPS_STD_CCU" {
		t.Errorf("inspect.licenses: got %+v, want it still read", got)
	}
	_, err = Parse([]byte("licenses:\n  entitlements: [{license: A_B_C, quantity: 1}]\ninspect:\n  licenses:\n    entitlements: [{license: A_B_C, quantity: 2}]\n"))
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Key != "inspect.licenses" || !strings.Contains(ke.Msg, "move inspect.licenses into licenses") {
		t.Errorf("both: got %v, want a KeyError saying to move it", err)
	}
	_, err = Parse([]byte("licenses:\n  entitlements: [{license: A_B_C, quantity: 1, end_date: 31.12.2027}]\n"))
	if !errors.As(err, &ke) || ke.Key != "licenses.entitlements[0]" {
		t.Errorf("bad end date: got %v, want it named under licenses", err)
	}
}
