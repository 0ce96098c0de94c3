package analysis

import (
	"slices"
	"strings"

	"github.com/telltale/telltale/inspect"
)

// IdentityCounts are the numbers every surface shows of a set of
// identities (the personal-data page, a capture page, the report,
// `telltale personal`): CountIdentities is the one function that makes
// them, so that the same captures give the same numbers everywhere.
type IdentityCounts struct {
	// Identifiers are the distinct identifiers (category and value);
	// ByCategory splits them.
	Identifiers int            `json:"identifiers"`
	ByCategory  map[string]int `json:"by_category"`
	// People are the distinct persons: person identifiers that a payload
	// sent together (Identity.Linked) count as one.
	People int `json:"people"`
	// Devices are the distinct device and host names (and their hashes),
	// Addresses the IP addresses.
	Devices   int `json:"devices"`
	Addresses int `json:"addresses"`
	// Plain are the user@domain names sent in clear.
	Plain int `json:"plain"`
}

// kindOf is an identity's kind, for one stored before kinds were kept.
func kindOf(id Identity) string {
	if id.Kind != "" {
		return id.Kind
	}
	return identityKind(id.Category, "")
}

// CountIdentities counts ids (distinct by category and value, as
// Identities and CaptureIdentities give them).
func CountIdentities(ids []Identity) IdentityCounts {
	c := IdentityCounts{ByCategory: map[string]int{}}
	parent := map[string]string{} // union-find over person keys
	var find func(string) string
	find = func(k string) string {
		p, ok := parent[k]
		if !ok || p == k {
			return k
		}
		r := find(p)
		parent[k] = r
		return r
	}
	for _, id := range ids {
		c.Identifiers++
		c.ByCategory[id.Category]++
		if id.Plain {
			c.Plain++
		}
		switch kindOf(id) {
		case KindDevice:
			c.Devices++
		case KindAddress:
			c.Addresses++
		default:
			parent[id.Key()] = id.Key()
		}
	}
	for _, id := range ids {
		if _, person := parent[id.Key()]; !person {
			continue
		}
		for _, l := range id.Linked {
			if _, ok := parent[l]; ok {
				if a, b := find(id.Key()), find(l); a != b {
					parent[max(a, b)] = min(a, b)
				}
			}
		}
	}
	for k := range parent {
		if find(k) == k {
			c.People++
		}
	}
	return c
}

// IdentitiesIn are the identities a decoded capture's request carried
// (every one, not only the Decoded.Request.Identities it lists), as the
// analysis records them over the whole log: the report's selection and
// `telltale personal --capture` merge these with MergeIdentities.
func IdentitiesIn(d *Decoded) []Identity {
	if d == nil || d.Request == nil {
		return nil
	}
	fields := make([]inspect.Field, len(d.Request.Fields))
	for i, f := range d.Request.Fields {
		fields[i] = f.Field
	}
	var out []Identity
	for _, f := range identitiesOf(fields) {
		var e Identity
		e.add(f, d.ID, d.Time, d.Endpoint)
		out = append(out, e)
	}
	return out
}

// IdentifiersIn lists the identifiers of people and devices among
// decoded fields (the one definition, identitiesOf): what a pseudonymised
// export withholds.
func IdentifiersIn(fields []inspect.Field) []Found {
	var out []Found
	for _, f := range identitiesOf(fields) {
		out = append(out, Found{Category: f.category, Value: f.value})
	}
	return out
}

// MergeIdentities merges the identities of several captures (each
// capture's distinct, as IdentitiesIn gives them) into one per category
// and value, summing uploads and joining endpoints and links.
func MergeIdentities(perCapture ...[]Identity) []Identity {
	byKey := map[string]int{}
	var out []Identity
	for _, ids := range perCapture {
		for _, id := range ids {
			i, ok := byKey[id.Key()]
			if !ok {
				byKey[id.Key()] = len(out)
				out = append(out, id)
				continue
			}
			e := &out[i]
			e.Uploads += id.Uploads
			if id.FirstTime < e.FirstTime {
				e.FirstID, e.FirstTime = id.FirstID, id.FirstTime
			}
			if id.LastTime >= e.LastTime {
				e.LastID, e.LastTime = id.LastID, id.LastTime
			}
			for _, ep := range id.Endpoints {
				if !slices.Contains(e.Endpoints, ep) {
					e.Endpoints = append(e.Endpoints, ep)
				}
			}
			slices.Sort(e.Endpoints)
			for _, l := range id.Linked {
				if len(e.Linked) < maxLinks && !slices.Contains(e.Linked, l) {
					e.Linked = append(e.Linked, l)
				}
			}
		}
	}
	SortIdentities(out)
	return out
}

// SortIdentities orders identities as every surface lists them: user
// names in clear first, then the most carried, then by category and
// value.
func SortIdentities(ids []Identity) {
	slices.SortStableFunc(ids, func(x, y Identity) int {
		if x.Plain != y.Plain {
			if x.Plain {
				return -1
			}
			return 1
		}
		if x.Uploads != y.Uploads {
			return y.Uploads - x.Uploads
		}
		return strings.Compare(x.Category+x.Value, y.Category+y.Value)
	})
}
