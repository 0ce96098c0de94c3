package admin

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// matchHosts reports whether host (lowercase) is one of the patterns or
// under one: "citrix.com" matches citrix.com and every subdomain of it
// (cis.citrix.com), ".citrix.com" only the subdomains.
func matchHosts(patterns []string, host string) bool {
	for _, p := range patterns {
		if sub, ok := strings.CutPrefix(p, "."); ok {
			if strings.HasSuffix(host, "."+sub) {
				return true
			}
			continue
		}
		if host == p || strings.HasSuffix(host, "."+p) {
			return true
		}
	}
	return false
}

// Page is one answer of GET /api/captures with paging parameters
// (README: "Admin API").
type Page struct {
	Items []Item
	// Next is the cursor to go on from; "" at the end.
	Next string
	// Total counts every match; -1 when a slow filter (q) did not count.
	Total int
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
	if err := json.NewDecoder(resp.Body).Decode(&p.Items); err != nil {
		return nil, fmt.Errorf("admin API /api/captures: bad answer: %w", err)
	}
	return p, nil
}
