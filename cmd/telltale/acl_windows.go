//go:build windows

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/telltale/telltale/configs"
)

// ownSDDL gives a folder of Telltale's (CA key, admin token, store, log)
// to the Administrators group, with an access list of SYSTEM and
// Administrators only, not inherited from %ProgramData%, whose default ACL
// lets every user read and create folders. Go's 0600 file modes mean
// nothing on Windows (https://pkg.go.dev/os#Chmod).
const ownSDDL = "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

// trustedInstaller is NT SERVICE\TrustedInstaller, which owns Windows'
// own files.
const trustedInstaller = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"

// writeRights are the rights that let an account change a file or folder,
// or what is in it, or who may.
const writeRights = windows.FILE_WRITE_DATA | windows.FILE_APPEND_DATA | 0x40 /* FILE_DELETE_CHILD */ |
	windows.DELETE | windows.WRITE_DAC | windows.WRITE_OWNER | windows.GENERIC_ALL | windows.GENERIC_WRITE

// wineWarning says once that checkSecure is skipped under Wine.
var wineWarning sync.Once

// errInsecure is wrapped by checkSecure's refusals.
var errInsecure = errors.New("not secure")

// lockDown creates dir if needed, makes Administrators its owner and
// replaces its access list by ownSDDL's (inherited by what is in it).
func lockDown(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	sd, err := windows.SecurityDescriptorFromString(ownSDDL)
	if err != nil {
		return err
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION,
		owner, nil, dacl, nil)
}

// secureService is install's part: it locks down Telltale's own folders
// (those under %ProgramData%\Telltale or the data dir, and any it creates),
// gives the installing administrator's own files to Administrators, and
// then checks everything as `service run` will.
func secureService(file string, cfg *configs.Config, home string) error {
	p := pathsOf(file, cfg, home)
	for _, dir := range p.Own {
		_, err := os.Stat(dir)
		if errors.Is(err, os.ErrNotExist) || within(dir, home) || within(dir, cfg.DataDir) {
			if err := lockDown(dir); err != nil {
				return fmt.Errorf("lock down %s: %w", dir, err)
			}
		}
	}
	for _, f := range p.Files {
		if err := adoptMine(f); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return checkService(file, cfg, home)
}

// checkService refuses to run when a file or folder the service uses could
// be changed by someone other than an administrator. Missing folders of
// Telltale's own are created locked down; `service run` calls it at every
// start.
func checkService(file string, cfg *configs.Config, home string) error {
	p := pathsOf(file, cfg, home)
	for _, dir := range p.Own {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			if err := lockDown(dir); err != nil {
				return fmt.Errorf("lock down %s: %w", dir, err)
			}
			continue
		}
		if err := checkSecure(dir); err != nil {
			return err
		}
	}
	for _, f := range p.Files {
		if err := checkSecure(f); err != nil {
			return err
		}
		if err := checkSecure(filepath.Dir(f)); err != nil {
			return err
		}
	}
	return nil
}

// adoptMine gives a file that the installing administrator owns to the
// Administrators group: Windows makes its creator the owner, and the
// service (LocalSystem) accepts only SYSTEM, Administrators and
// TrustedInstaller. A file owned by anyone else is left for checkSecure to
// refuse.
func adoptMine(path string) error {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return err
	}
	owner, _, err := sd.Owner()
	if err != nil || trustedOwner(owner) {
		return err
	}
	me, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil || !windows.EqualSid(owner, me.User.Sid) {
		return err
	}
	ba, err := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION, ba, nil, nil, nil)
}

// checkSecure refuses a file or folder owned by anyone but SYSTEM,
// Administrators or TrustedInstaller, or whose access list lets anyone
// else change it.
func checkSecure(path string) error {
	if underWine() {
		wineWarning.Do(func() {
			fmt.Fprintln(os.Stderr, "telltale: under Wine, which keeps no file owners or access lists: the folder and config access check is skipped")
		})
		return nil
	}
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("%s: read its owner and access list: %w", path, err)
	}
	return checkDescriptor(path, sd)
}

func checkDescriptor(path string, sd *windows.SECURITY_DESCRIPTOR) error {
	fix := fmt.Sprintf(`as Administrator: icacls "%s" /setowner *S-1-5-32-544, then remove the other accounts' write access (or run `+"`telltale service install`"+` again, which locks down the folders it owns)`, path)
	owner, _, err := sd.Owner()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !trustedOwner(owner) {
		return fmt.Errorf("%s is owned by %s, not by Administrators, SYSTEM or TrustedInstaller, so that account can change it and what the service trusts (%w); %s",
			path, accountName(owner), errInsecure, fix)
	}
	dacl, _, err := sd.DACL()
	if err != nil && !errors.Is(err, windows.ERROR_OBJECT_NOT_FOUND) {
		return fmt.Errorf("%s: %w", path, err)
	}
	if dacl == nil {
		return fmt.Errorf("%s has no access list: everyone may change it (%w); %s", path, errInsecure, fix)
	}
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return fmt.Errorf("%s: access list entry %d: %w", path, i, err)
		}
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || ace.Mask&writeRights == 0 {
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if trustedOwner(sid) || sid.IsWellKnown(windows.WinCreatorOwnerSid) { // CREATOR OWNER applies only to what is created inside
			continue
		}
		return fmt.Errorf("%s lets %s change it (access mask %#x) (%w); %s", path, accountName(sid), ace.Mask, errInsecure, fix)
	}
	return nil
}

// trustedOwner reports SYSTEM, Administrators and TrustedInstaller.
func trustedOwner(sid *windows.SID) bool {
	return sid.IsWellKnown(windows.WinLocalSystemSid) || sid.IsWellKnown(windows.WinBuiltinAdministratorsSid) ||
		sid.String() == trustedInstaller
}

// underWine reports whether this runs under Wine, whose ntdll.dll exports
// wine_get_version (Windows' never does: ntdll is always System32's).
// Wine keeps no owner or access list of its own: it reports ones made up
// from the Unix mode, always owned by the Wine user, and SetNamedSecurityInfo
// succeeds without keeping anything. There checkSecure can prove nothing,
// so it says so and lets the service run; Wine is for tests, not for
// production.
var underWine = sync.OnceValue(func() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
})

// accountName is DOMAIN\name (SID), or the SID alone.
func accountName(sid *windows.SID) string {
	name, domain, _, err := sid.LookupAccount("")
	if err != nil || name == "" {
		return sid.String()
	}
	if domain != "" {
		name = domain + `\` + name
	}
	return fmt.Sprintf("%s (%s)", name, sid)
}

// systemDir is C:\Windows\System32, where an elevated prompt starts (a
// variable, so that tests can name another).
var systemDir = func() string {
	d, _ := windows.GetSystemDirectory()
	return d
}
