package configs

import (
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// checkNotSuffix refuses an intercept pattern whose name is a public
// suffix ("com", "*.com", "*.co.uk"), or a wildcard over a single label
// ("*.corp"): the CA's name constraints would then permit certificates
// for every domain under it. Suffixes from the list's private section
// (github.io) are accepted, as they belong to one operator, and so is an
// exact single label such as localhost.
func checkNotSuffix(pattern, name string) error {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	suffix, icann := publicsuffix.PublicSuffix(name)
	wildcard := strings.HasPrefix(pattern, "*.")
	if suffix != name || (!icann && (strings.Contains(name, ".") || !wildcard)) {
		return nil
	}
	return fmt.Errorf("%q: %s is a public suffix or a top-level name, and the CA would be allowed to vouch for every domain under it; "+
		"list the vendor's own domains (las.cloud.com, *.citrixworkspacesapi.net)", pattern, name)
}
