package admin

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// matchHosts reports whether host (lowercase) matches one of the
// patterns (MatchHost).
func matchHosts(patterns []string, host string) bool {
	for _, p := range patterns {
		if MatchHost(p, host) {
			return true
		}
	}
	return false
}

// MatchHost is the host filter of the list and of the CLI: "citrix.com"
// matches citrix.com and every subdomain of it (cis.citrix.com),
// ".citrix.com" only the subdomains. Both are lowercase.
func MatchHost(pattern, host string) bool {
	if sub, ok := strings.CutPrefix(pattern, "."); ok {
		return strings.HasSuffix(host, "."+sub)
	}
	return host == pattern || strings.HasSuffix(host, "."+pattern)
}

// Page is one answer of GET /api/captures with paging parameters
// (README: "Admin API").
type Page struct {
	Items []Item
	// Next is the cursor to go on from; "" at the end.
	Next string
	// Total counts every match; -1 when a slow filter (q) did not count.
	Total int
	// Behind is set when the catalog lacks acknowledged records because
	// the store's indexer is behind (HeaderBehind): the page is partial.
	Behind error
}

// Page asks GET /api/captures with v, which holds at least one paging
// parameter (order, offset, cursor, ...) so that the server pages.
func (c *Client) Page(v url.Values) (*Page, error) {
	resp, err := c.get("/api/captures?" + v.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	p := &Page{Next: resp.Header.Get("X-Next-Cursor"), Total: -1}
	if n, err := strconv.Atoi(resp.Header.Get("X-Total-Count")); err == nil {
		p.Total = n
	}
	p.Behind = behindErr(resp.Header)
	if err := json.NewDecoder(resp.Body).Decode(&p.Items); err != nil {
		return nil, fmt.Errorf("admin API /api/captures: bad answer: %w", err)
	}
	return p, nil
}
