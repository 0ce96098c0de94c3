package certs

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
)

// permittedDomains turns intercept patterns into the CA's permitted DNS
// subtrees: "a.b.c" needs a.b.c, "*.x.y" needs x.y. The result is lowercase,
// sorted, and has no name that a permitted parent already covers.
func permittedDomains(patterns []string) ([]string, error) {
	if len(patterns) == 0 {
		return nil, fmt.Errorf("%w: none given; the CA must be constrained to at least one host", ErrInvalidPattern)
	}
	set := make(map[string]bool, len(patterns))
	for _, p := range patterns {
		d, err := patternSubtree(p)
		if err != nil {
			return nil, err
		}
		set[d] = true
	}
	var out []string
	for d := range set {
		if !hasParentIn(d, set) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out, nil
}

// hasParentIn reports whether a proper parent domain of d is in set.
func hasParentIn(d string, set map[string]bool) bool {
	for {
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return false
		}
		d = d[i+1:]
		if set[d] {
			return true
		}
	}
}

// patternSubtree validates one intercept pattern and returns the DNS subtree
// the CA must permit for it.
func patternSubtree(pattern string) (string, error) {
	name := strings.ToLower(pattern)
	wildcard := strings.HasPrefix(name, "*.")
	if wildcard {
		name = name[len("*."):]
	}
	if err := checkDNSName(name); err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrInvalidPattern, pattern, err)
	}
	if wildcard && !strings.Contains(name, ".") {
		// A CA for a whole top-level domain would let Telltale impersonate
		// most of the internet to its users; nobody means that.
		return "", fmt.Errorf("%w: %q: wildcard over a top-level domain", ErrInvalidPattern, pattern)
	}
	return name, nil
}

// normalizeHost lowercases a host name, drops one trailing dot and checks
// that what is left is a DNS name (not an IP address, not a pattern).
func normalizeHost(host string) (string, error) {
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if err := checkDNSName(name); err != nil {
		return "", err
	}
	return name, nil
}

// checkDNSName accepts lowercase LDH names (plus '_', which real hosts use).
func checkDNSName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case net.ParseIP(name) != nil:
		return errors.New("an IP address; only DNS names can be intercepted")
	case len(name) > 253:
		return errors.New("name longer than 253 characters")
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" {
			return errors.New("empty label")
		}
		if len(label) > 63 {
			return fmt.Errorf("label %q longer than 63 characters", label)
		}
		for _, c := range label {
			switch {
			case c == '*':
				return errors.New(`"*" is only allowed as the whole first label, as in "*.example.com"`)
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			default:
				return fmt.Errorf("invalid character %q", c)
			}
		}
	}
	return nil
}

// matchDomain reports whether name lies in the subtree of an RFC 5280
// dNSName constraint: "x.y" matches x.y and its subdomains, ".x.y" only the
// subdomains, "" everything. It mirrors crypto/x509's matching.
func matchDomain(name, constraint string) bool {
	constraint = strings.ToLower(constraint)
	switch {
	case constraint == "":
		return true
	case strings.HasPrefix(constraint, "."):
		return strings.HasSuffix(name, constraint)
	default:
		return name == constraint || strings.HasSuffix(name, "."+constraint)
	}
}

// permitsSubtree reports whether every name under d (d's subdomains) is
// allowed by the permitted and excluded dNSName constraints.
func permitsSubtree(d string, permitted, excluded []string) bool {
	for _, e := range excluded {
		e = strings.TrimPrefix(strings.ToLower(e), ".")
		// Any overlap between the excluded subtree and d's carves a hole.
		if e == "" || matchDomain(e, d) || matchDomain(d, e) {
			return false
		}
	}
	dotted := "." + d
	for _, p := range permitted {
		p = strings.ToLower(p)
		if p == "" || strings.HasPrefix(p, ".") && strings.HasSuffix(dotted, p) || strings.HasSuffix(dotted, "."+p) {
			return true
		}
	}
	return false
}
