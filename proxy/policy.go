package proxy

import "net/netip"

// Policy is the part of Options that Reload changes while the proxy runs:
// which hosts are intercepted, whether the others are denied, and which
// clients may connect. Connections already open keep the decision made
// when they were opened; nothing is dropped.
type Policy struct {
	Intercept []string
	Deny      bool
	Allow     []netip.Prefix
	// AllowLocal names "host:port" upstreams on this host or its link
	// that may be reached anyway (guard.go): as the client asked for
	// them, or the ip:port they resolve to.
	AllowLocal []string
	// Refusal says what follows a client's refusal of the certificate
	// minted for an intercepted host (refusal.go).
	Refusal RefusalPolicy
}

// policy is a Policy ready for matching.
type policy struct {
	intercept hostMatcher
	deny      bool
	allow     []netip.Prefix
	// allowLocal holds AllowLocal's entries as normalTarget writes them.
	allowLocal map[string]bool
	refusal    RefusalPolicy
}

// Reload swaps in a new policy for the connections and requests that
// follow. The CA must already cover every intercepted host: the caller
// checks (certs.Authority.Uncovered). It ends every pass-through of a
// host whose client refused the certificate.
func (p *Proxy) Reload(pol Policy) {
	p.policy.Store(&policy{
		intercept:  newHostMatcher(pol.Intercept),
		deny:       pol.Deny,
		allow:      append([]netip.Prefix(nil), pol.Allow...),
		allowLocal: allowLocal(pol.AllowLocal),
		refusal:    pol.Refusal,
	})
	if p.refusals != nil {
		p.refusals.reset()
	}
}

// current is the policy in force.
func (p *Proxy) current() *policy { return p.policy.Load() }

func allowLocal(entries []string) map[string]bool {
	m := make(map[string]bool, len(entries))
	for _, e := range entries {
		m[normalTarget(e)] = true
	}
	return m
}
