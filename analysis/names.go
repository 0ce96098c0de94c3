package analysis

import "strings"

// Names gives endpoints the names an analyst knows them by ("Compliance
// upload", "Activation renewal"), from the rules' Name. The zero value
// names nothing.
type Names struct {
	rules []*compiledRule
}

// NewNames returns the names of rules' endpoints.
func NewNames(rules []Rule) Names {
	var named []Rule
	for _, r := range rules {
		if r.Name != "" {
			named = append(named, r)
		}
	}
	return Names{rules: compileRules(named)}
}

// Of returns the name of an endpoint key ("POST cis.citrix.com
// /api/upload/x"), or "" when no named rule matches it.
func (n Names) Of(endpoint string) string {
	e, ok := ParseEndpoint(endpoint)
	if !ok {
		return ""
	}
	for _, r := range n.rules {
		if r.matches(e) {
			return r.Name
		}
	}
	return ""
}

// Label is an endpoint's name, else its key: what a list or a heading
// shows.
func (n Names) Label(endpoint string) string {
	if s := n.Of(endpoint); s != "" {
		return s
	}
	return strings.TrimSpace(endpoint)
}

// Names returns the analyzer's endpoint names.
func (a *Analyzer) Names() Names { return NewNames(a.opts.Rules) }
