package evidence

import (
	"fmt"
	"net"
	"strings"
)

// EndpointOf is the endpoint of a request, as the capture index lists it
// and --endpoint selects it: the method, a space, then the URL without its
// scheme and query, its authority (host[:port]) in lowercase, e.g.
// "POST cis.citrix.com/api/upload". A record without a method or URL has
// none: "". Control characters are written as %XX so that an endpoint is
// one line of the index.
func EndpointOf(method, url string) string {
	if method == "" || url == "" {
		return ""
	}
	base, _, _ := strings.Cut(url, "?")
	if _, rest, ok := strings.Cut(base, "://"); ok {
		base = rest
	}
	authority, path, slash := strings.Cut(base, "/")
	base = strings.ToLower(authority)
	if slash {
		base += "/" + path
	}
	return escapeControls(method + " " + base)
}

func escapeControls(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isControl(rune(s[i])) {
			fmt.Fprintf(&b, "%%%02X", s[i])
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// ParseEndpoint reads an endpoint as a user writes it: "METHOD HOST/PATH",
// also "METHOD HOST /PATH" or "METHOD scheme://HOST/PATH"; a query is
// dropped. A template of telltale endpoints ("/api/{id}") is refused: the
// index lists exact paths. It returns the endpoint as EndpointOf writes it.
func ParseEndpoint(s string) (string, error) {
	method, rest, ok := strings.Cut(strings.TrimSpace(s), " ")
	rest = strings.TrimSpace(rest)
	if host, path, ok := strings.Cut(rest, " "); ok && strings.HasPrefix(strings.TrimSpace(path), "/") {
		rest = host + strings.TrimSpace(path)
	}
	if !ok || method == "" || rest == "" || strings.ContainsAny(rest, " \t") || rest[0] == '/' {
		return "", fmt.Errorf("endpoint %q: want \"METHOD HOST/PATH\", e.g. \"POST cis.citrix.com/api/upload\"", s)
	}
	if strings.ContainsAny(rest, "{}") {
		return "", fmt.Errorf("endpoint %q: a template ({...}) names many paths; give one exact path", s)
	}
	return EndpointOf(method, rest), nil
}

// endpointHost is the host an endpoint's captures are recorded under
// (Record.Host): its authority without a port.
func endpointHost(endpoint string) string {
	_, rest, _ := strings.Cut(endpoint, " ")
	authority, _, _ := strings.Cut(rest, "/")
	if h, _, err := net.SplitHostPort(authority); err == nil {
		return h
	}
	return strings.Trim(authority, "[]")
}

// normalizeEndpoint writes a selection's endpoint as EndpointOf does. An
// endpoint selects by itself (and time): not with a host or ids.
func normalizeEndpoint(sel *Selection) error {
	if sel.Endpoint == "" {
		return nil
	}
	if sel.Host != "" || len(sel.IDs) > 0 {
		return fmt.Errorf("endpoint %q: select by endpoint, host or ids, not more than one", sel.Endpoint)
	}
	e, err := ParseEndpoint(sel.Endpoint)
	if err != nil {
		return err
	}
	sel.Endpoint = e
	return nil
}
