package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/telltale/telltale/internal/wine"
)

// The owner and access-list rules, on descriptors written in SDDL.
func TestWindowsACL_CheckDescriptor(t *testing.T) {
	cases := []struct {
		sddl, refuse string // refuse: "" to accept, else a word of the refusal
	}{
		{ownSDDL, ""},
		{"O:SYD:(A;;FA;;;SY)(A;;0x1200a9;;;BU)", ""},                             // users may read
		{"O:" + trustedInstaller + "D:P(A;;FA;;;SY)(A;;FA;;;BA)", ""},            // Windows' own
		{"O:BAD:(A;OICIIO;FA;;;CO)(A;;FA;;;BA)", ""},                             // CREATOR OWNER: only what is created inside
		{"O:BAD:(D;;FA;;;BU)(A;;FA;;;BA)", ""},                                   // a deny entry
		{"O:BUD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", "owned by"},                  // pre-created by a user
		{"O:S-1-5-21-1-2-3-1001D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", "owned by"}, // a user account
		{"O:BAD:(A;OICI;FA;;;SY)(A;;0x1301bf;;;AU)", "lets"},                     // authenticated users: modify
		{"O:BAD:(A;CI;0x4;;;BU)(A;;FA;;;BA)", "lets"},                            // users may add folders (%ProgramData%'s default)
		{"O:BAD:(A;;GW;;;WD)", "lets"},                                           // everyone: generic write
	}
	check := checkRefusal(t)
	for _, c := range cases {
		sd, err := windows.SecurityDescriptorFromString(c.sddl)
		if err != nil {
			t.Fatalf("%s: %v", c.sddl, err)
		}
		check(sd, c.sddl, c.refuse)
	}
	// A null access list (not an empty one) lets everyone in.
	sd, err := windows.NewSecurityDescriptor()
	if err != nil {
		t.Fatal(err)
	}
	ba, _ := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
	if err := sd.SetOwner(ba, false); err != nil {
		t.Fatal(err)
	}
	if err := sd.SetDACL(nil, true, false); err != nil {
		t.Fatal(err)
	}
	check(sd, "a null DACL", "no access list")
}

func checkRefusal(t *testing.T) func(sd *windows.SECURITY_DESCRIPTOR, name, refuse string) {
	return func(sd *windows.SECURITY_DESCRIPTOR, name, refuse string) {
		t.Helper()
		err := checkDescriptor(`C:\ProgramData\Telltale`, sd)
		switch {
		case refuse == "" && err != nil:
			t.Errorf("%s: got %v, want it accepted", name, err)
		case refuse != "" && (!errors.Is(err, errInsecure) || !strings.Contains(err.Error(), refuse) || !strings.Contains(err.Error(), "icacls")):
			t.Errorf("%s: got %v, want a refusal saying %q and how to fix it", name, err, refuse)
		}
	}
}

// A folder and config file that a user made (here: this test's user, not
// SYSTEM or Administrators) stop `service run` at start, with a message
// that names them; a config the service cannot trust is never loaded.
func TestWindowsService_RunRefusesAUsersConfig(t *testing.T) {
	pd := wine.TempDir(t)
	t.Setenv("ProgramData", pd)
	home := filepath.Join(pd, "Telltale")
	os.MkdirAll(home, 0o755)
	file := filepath.Join(home, "telltale.yaml")
	os.WriteFile(file, []byte("others: deny\n"), 0o644)
	if wine.Running() {
		t.Skip("Wine keeps no file owners, so checkSecure skips its check there (TestWindowsACL_CheckDescriptor covers the rules)")
	}
	if owner := ownerOf(t, file); owner.IsWellKnown(windows.WinBuiltinAdministratorsSid) || owner.IsWellKnown(windows.WinLocalSystemSid) {
		t.Skip("this account creates files owned by Administrators or SYSTEM (an elevated prompt): nothing to refuse")
	}
	_, err := checkedServiceConfig("", "")
	if err == nil || !errors.Is(err, errInsecure) || !strings.Contains(err.Error(), "owned by") || !strings.Contains(err.Error(), "will not run") {
		t.Fatalf("got %v, want the service to refuse %s", err, home)
	}
	t.Log(err)
}

// lockDown makes Administrators the owner and SYSTEM and Administrators the
// only ones with access. Wine 8 does not keep a file's owner or access
// list (it reports one made from the Unix mode, owned by the Wine user), so
// there the check after lockDown still refuses: that is Wine's limit,
// logged, not the product's.
func TestWindowsACL_LockDown(t *testing.T) {
	dir := filepath.Join(wine.TempDir(t), "data")
	err := lockDown(dir)
	if errors.Is(err, windows.ERROR_INVALID_OWNER) || errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		t.Skipf("lockDown needs an elevated prompt: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("lockDown did not create %s: %v", dir, err)
	}
	err = checkSecure(dir)
	if wine.Running() {
		t.Logf("under Wine, owner %s after lockDown (Wine does not store it); check: %v", accountName(ownerOf(t, dir)), err)
		return
	}
	if err != nil {
		t.Errorf("after lockDown: %v", err)
	}
}

func ownerOf(t *testing.T, path string) *windows.SID {
	t.Helper()
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		t.Fatal(err)
	}
	return owner
}
