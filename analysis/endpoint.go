package analysis

import (
	"net/url"
	"regexp"
	"strings"
)

// Endpoint is what a license server talks to: a method, a host and a
// path template. Captures of one endpoint form a series that is diffed
// step by step and whose shape is learnt.
type Endpoint struct {
	Method   string `json:"method"`
	Host     string `json:"host"`
	Template string `json:"template"`
}

// String is the endpoint's key: "POST cis.citrix.com /api/upload/x".
func (e Endpoint) String() string { return e.Method + " " + e.Host + " " + e.Template }

// ParseEndpoint reads an endpoint key written by String.
func ParseEndpoint(s string) (Endpoint, bool) {
	m, rest, ok1 := strings.Cut(s, " ")
	h, t, ok2 := strings.Cut(rest, " ")
	return Endpoint{Method: m, Host: h, Template: t}, ok1 && ok2 && m != "" && h != "" && strings.HasPrefix(t, "/")
}

// EndpointOf returns the endpoint of a request: its method, its host
// lowercased without the port, and the template of its path (Template),
// the query left out. templates are tried first (see Templates.Apply).
func EndpointOf(method, host, rawURL string, templates Templates) Endpoint {
	p := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		p = u.EscapedPath()
		if host == "" {
			host = u.Hostname()
		}
	}
	if p == "" {
		p = "/"
	}
	if t, ok := templates.Apply(p); ok {
		p = t
	} else {
		p = Template(p)
	}
	return Endpoint{Method: strings.ToUpper(method), Host: strings.ToLower(host), Template: p}
}

var (
	allDigits  = regexp.MustCompile(`^[0-9]+$`)
	guid       = regexp.MustCompile(`^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$`)
	hexHash    = regexp.MustCompile(`^[0-9A-Fa-f]{16,}$`)
	token      = regexp.MustCompile(`^[A-Za-z0-9_\-]{24,}={0,2}$`)
	ccid       = regexp.MustCompile(`^[A-Za-z0-9]{8,32}$`)
	longDigits = regexp.MustCompile(`[0-9]{5,}`)
)

// Template generalises a URL path so that every capture of one endpoint
// has the same one. Each "/"-separated segment, in this order:
//
//	all digits                                  -> {id}
//	a GUID (8-4-4-4-12 hex, braces optional)    -> {guid}
//	16 or more hex digits                       -> {hash}
//	24 or more base64url characters, letters
//	  and at least one digit (a token)          -> {token}
//	8 to 32 letters and digits, with at least
//	  one letter and two digits (a Citrix
//	  customer id such as "tbcust7k2q9x")       -> {ccid}
//	otherwise, runs of five or more digits      -> {n} ("ue_lt_{n}.zip")
//
// Segments that are words ("api", "LicenseServer.OnPremUsage", "v2") stay
// as they are. So /tbcust7k2q9x/licenseserver/activation/renew becomes
// /{ccid}/licenseserver/activation/renew. Configured templates
// (Options.Templates) win over these rules.
func Template(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = generalise(s)
	}
	return strings.Join(segs, "/")
}

func generalise(s string) string {
	switch {
	case s == "":
		return s
	case allDigits.MatchString(s):
		return "{id}"
	case guid.MatchString(s):
		return "{guid}"
	case hexHash.MatchString(s):
		return "{hash}"
	case token.MatchString(s) && countDigits(s) > 0 && countDigits(s) < len(s):
		return "{token}"
	case ccid.MatchString(s) && countDigits(s) >= 2 && countDigits(s) < len(s):
		return "{ccid}"
	}
	return longDigits.ReplaceAllString(s, "{n}")
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// Templates are configured path templates such as
// "/support/{ccid}/{product}/listls": a "{name}" segment matches any one
// segment, every other segment itself.
type Templates []string

// Apply returns the first template that matches path.
func (ts Templates) Apply(path string) (string, bool) {
	segs := strings.Split(path, "/")
	for _, t := range ts {
		if templateMatches(strings.Split(t, "/"), segs) {
			return t, true
		}
	}
	return "", false
}

func templateMatches(tsegs, segs []string) bool {
	if len(tsegs) != len(segs) {
		return false
	}
	for i, t := range tsegs {
		if isVar(t) {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if t != segs[i] {
			return false
		}
	}
	return true
}

func isVar(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// SameTemplate reports whether a user's path names the endpoint template t:
// either t itself, or a concrete path whose template is t.
func SameTemplate(userPath, t string, templates Templates) bool {
	if userPath == t {
		return true
	}
	if x, ok := templates.Apply(userPath); ok {
		return x == t
	}
	return Template(userPath) == t
}
