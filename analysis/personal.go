package analysis

import (
	"encoding/base64"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/telltale/telltale/inspect"
)

// Personal data categories.
const (
	PersonalEmail    = "email"       // an e-mail address
	PersonalUPN      = "upn"         // a user principal name (user@domain)
	PersonalUserName = "user_name"   // a user's name or account
	PersonalSID      = "sid"         // a Windows security identifier of an account
	PersonalHostName = "host_name"   // a host or device name
	PersonalIP       = "ip_address"  // an IP address
	PersonalHashedID = "hashed_id"   // a hashed identifier: pseudonymous, still personal data
	PersonalDeviceID = "device_list" // a list of device names
)

// PersonalField is a field that carries personal data.
type PersonalField struct {
	// Path is the field's path in a capture, or its shape path (indexes
	// as "[]") in an endpoint's summary.
	Path     string `json:"path"`
	Category string `json:"category"`
	// Why says what gave it away: a member name, a value's form.
	Why string `json:"why"`
	// Count is how many occurrences a text holds, or in an endpoint's
	// summary how many captures sent the field.
	Count int `json:"count,omitempty"`
	// Side is "request" or "response" in an endpoint's summary.
	Side string `json:"side,omitempty"`
}

var (
	sidValue   = regexp.MustCompile(`^S-1-5-21(-[0-9]+){3,4}$`)
	emailValue = regexp.MustCompile(`^[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$`)
	hostValue  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-_]*(\.[A-Za-z0-9\-_]+)*$`)
	hexValue   = regexp.MustCompile(`^[0-9a-fA-F]{32,64}$`)
	// truncHash is 16 bytes in base64: Citrix's CVAD telemetry hashes
	// user fields and device names with SHA-256, keeps the first half and
	// encodes it in base64 (shared/las-reference.md).
	truncHash = regexp.MustCompile(`^[A-Za-z0-9+/]{21}[AQgw]==$`)
)

// Member names (lowercase) that hold people or machines. Matching is on
// the whole name, or on its end for the suffix lists, so "hostingLocation"
// is not a host.
var (
	userKeys       = []string{"user", "users", "username", "samname", "samaccountname", "fullname", "displayname", "account", "login", "owner", "upn", "email", "mail", "userlicenseid", "usersid", "sid"}
	userSuffixes   = []string{"username", "samname", "fullname", "upn", "email"}
	hostKeys       = []string{"host", "hostname", "fqdn", "machine", "machinename", "computer", "computername", "device", "devicename", "workstation", "clientname", "servername"}
	hostSuffixes   = []string{"hostname", "fqdn", "devicename", "machinename", "computername"}
	deviceListKeys = []string{"ccudevices", "devices"}
	versionish     = []string{"version", "ver", "lsversion", "prodver"}
)

func keyIn(key string, exact, suffixes []string) bool {
	k := strings.ToLower(key)
	if slices.Contains(exact, k) {
		return true
	}
	for _, s := range suffixes {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// Personal flags the fields of a decoded body that carry personal data:
// e-mail addresses and UPNs, user names, SIDs, host and device names, IP
// addresses, and hashed identifiers. Texts (a usage CSV) are scanned for
// e-mail addresses, SIDs and IPv4 addresses, and their header line for
// user and device columns.
func Personal(fields []inspect.Field) []PersonalField {
	var out []PersonalField
	for _, f := range fields {
		switch f.Type {
		case inspect.KindString:
			s, _ := f.Value.(string)
			if p, ok := personalValue(f.Path, s); ok {
				out = append(out, p)
			}
		case inspect.KindText:
			s, _ := f.Value.(string)
			out = append(out, personalText(f.Path, s)...)
		case inspect.KindArray:
			// One flag for the list, not one per device in it.
			if keyIn(memberName(f.Path), deviceListKeys, nil) {
				out = append(out, PersonalField{Path: f.Path, Category: PersonalDeviceID, Why: "member " + memberName(f.Path) + " lists devices"})
			}
		}
	}
	return out
}

// personalValue classifies one string value by its form and its member
// name.
func personalValue(path, s string) (PersonalField, bool) {
	key := memberName(path)
	p := PersonalField{Path: path}
	switch {
	case s == "":
		return p, false
	case sidValue.MatchString(s):
		p.Category, p.Why = PersonalSID, "value is a Windows account SID"
	case isTruncHash(s):
		p.Category, p.Why = PersonalHashedID, "value is 16 bytes of base64, the form of Citrix's truncated SHA-256 user hash"
	case hexValue.MatchString(s) && (keyIn(key, userKeys, userSuffixes) || keyIn(key, hostKeys, hostSuffixes)):
		p.Category, p.Why = PersonalHashedID, "a hash under member "+key
	case emailValue.MatchString(s):
		p.Category, p.Why = PersonalEmail, "value is an e-mail address"
		if strings.Contains(strings.ToLower(key), "upn") {
			p.Category, p.Why = PersonalUPN, "member "+key+" holds a user@domain name"
		}
	case isIP(s) && !keyIn(key, versionish, []string{"version"}):
		p.Category, p.Why = PersonalIP, "value is an IP address"
	case keyIn(key, userKeys, userSuffixes):
		p.Category, p.Why = PersonalUserName, "member "+key+" names a user"
	case keyIn(key, hostKeys, hostSuffixes) && hostValue.MatchString(s):
		p.Category, p.Why = PersonalHostName, "member "+key+" names a host"
	default:
		return p, false
	}
	return p, true
}

func isTruncHash(s string) bool {
	if !truncHash.MatchString(s) {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return err == nil && len(b) == 16
}

func isIP(s string) bool {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.IsValid()
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.IsValid()
	}
	return false
}

// personalText scans a text for identifiers and, when its first line is
// a CSV header, for user and device columns. The scans are linear: a
// usage bundle holds megabytes of CSV.
func personalText(path, s string) []PersonalField {
	var out []PersonalField
	add := func(n int, cat, why string) {
		if n > 0 {
			out = append(out, PersonalField{Path: path, Category: cat, Why: why, Count: n})
		}
	}
	add(countEmails(s), PersonalEmail, "the text holds e-mail addresses or UPNs")
	add(countSIDs(s), PersonalSID, "the text holds Windows account SIDs")
	add(countIPv4(s), PersonalIP, "the text holds IPv4 addresses")
	header, _, _ := strings.Cut(s, "\n")
	if !strings.Contains(header, ",") {
		return out
	}
	for _, col := range strings.Split(strings.TrimSpace(header), ",") {
		col = strings.Trim(strings.TrimSpace(col), `"`)
		switch {
		case keyIn(col, userKeys, userSuffixes):
			out = append(out, PersonalField{Path: path, Category: PersonalUserName, Why: "CSV column " + col})
		case keyIn(col, hostKeys, hostSuffixes):
			out = append(out, PersonalField{Path: path, Category: PersonalHostName, Why: "CSV column " + col})
		}
	}
	return out
}

func isLocalChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._%+-'", c) >= 0
}

func isDomainChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
}

// countEmails counts user@domain.tld at each "@".
func countEmails(s string) int {
	n := 0
	for i := strings.IndexByte(s, '@'); i >= 0; {
		l := i
		for l > 0 && isLocalChar(s[l-1]) {
			l--
		}
		r := i + 1
		for r < len(s) && isDomainChar(s[r]) {
			r++
		}
		domain := strings.Trim(s[i+1:r], ".")
		if l < i && strings.Contains(domain, ".") {
			n++
		}
		next := strings.IndexByte(s[i+1:], '@')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return n
}

// countSIDs counts domain account SIDs, S-1-5-21-a-b-c[-rid].
func countSIDs(s string) int {
	n := 0
	for rest := s; ; {
		i := strings.Index(rest, "S-1-5-21-")
		if i < 0 {
			return n
		}
		j := i + len("S-1-5-21")
		parts := 0
		for j < len(rest) && rest[j] == '-' && j+1 < len(rest) && rest[j+1] >= '0' && rest[j+1] <= '9' {
			j++
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			parts++
		}
		if parts >= 3 {
			n++
		}
		rest = rest[j:]
	}
}

// countIPv4 counts dotted quads that stand alone (not inside a longer
// run of digits and dots, such as a version 11.17.2.0.5).
func countIPv4(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < '0' || c > '9' || i > 0 && (isDigit(s[i-1]) || s[i-1] == '.' || isLetter(s[i-1])) {
			i++
			continue
		}
		j, octets := i, 0
		for octets < 4 {
			k := j
			for k < len(s) && k-j < 4 && isDigit(s[k]) {
				k++
			}
			if k == j || k-j > 3 || atoiByte(s[j:k]) > 255 {
				break
			}
			octets++
			j = k
			if octets < 4 {
				if j >= len(s) || s[j] != '.' {
					break
				}
				j++
			}
		}
		if octets == 4 && (j == len(s) || !isDigit(s[j]) && s[j] != '.' && !isLetter(s[j])) {
			n++
		}
		i = max(j, i+1)
	}
	return n
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func atoiByte(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
