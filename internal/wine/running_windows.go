package wine

import "golang.org/x/sys/windows"

// Running reports whether this Windows program runs under Wine, whose
// ntdll.dll exports wine_get_version
// (https://gitlab.winehq.org/wine/wine/-/wikis/Developer-FAQ#how-can-i-detect-wine).
func Running() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}
