package analysis

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/telltale/telltale/inspect"
	"github.com/telltale/telltale/store"
)

// Identity is one personal identifier that left the estate: an e-mail
// address or UPN, a user name, a SID, a device or host name, an IP
// address, a hashed identifier. The analyzer keeps one per distinct
// category and value, over every request it analysed.
type Identity struct {
	Category string `json:"category"`
	Value    string `json:"value"`
	// Uploads is how many captures carried it.
	Uploads int `json:"uploads"`
	// Endpoints are the endpoint keys it was sent to, sorted.
	Endpoints []string `json:"endpoints"`
	FirstID   string   `json:"first_id"`
	FirstTime string   `json:"first_time"`
	LastID    string   `json:"last_id"`
	LastTime  string   `json:"last_time"`
	// Plain: a user@domain name sent in clear, which Citrix's username
	// anonymisation would have replaced.
	Plain bool `json:"plain,omitempty"`
}

// maxIdentitiesPerCapture bounds what one capture adds, so that a usage
// bundle of a large site cannot make one batch unbounded.
const maxIdentitiesPerCapture = 20000

// identityKey is an identifier's key in derived_identities.
func identityKey(category, value string) []byte {
	return []byte(category + "\x00" + value)
}

// found is one identifier in one capture.
type found struct{ category, value string }

// identitiesOf lists the distinct identifiers in a request's fields: the
// values Personal flags, each device of a device list, and in texts (a
// usage CSV) every e-mail address, SID and IPv4 address and the values of
// user and device columns.
func identitiesOf(fields []inspect.Field) []found {
	seen := map[found]bool{}
	var out []found
	add := func(cat, v string) {
		v = strings.TrimSpace(v)
		f := found{cat, v}
		if v == "" || seen[f] || len(out) >= maxIdentitiesPerCapture {
			return
		}
		seen[f] = true
		out = append(out, f)
	}
	for _, f := range fields {
		s, _ := f.Value.(string)
		switch {
		case f.Type == inspect.KindString && keyIn(memberName(f.Path), deviceListKeys, nil):
			add(PersonalHostName, s)
		case f.Type == inspect.KindString:
			if p, ok := personalValue(f.Path, s); ok {
				add(p.Category, s)
			}
		case f.Type == inspect.KindText:
			textIdentities(s, add)
		}
	}
	return out
}

// textIdentities finds identifiers in a text: e-mail addresses, SIDs and
// IPv4 addresses anywhere, and the values of user and device columns when
// its first line is a CSV header.
func textIdentities(s string, add func(cat, v string)) {
	lines := strings.Split(s, "\n")
	cols := map[int]string{}
	if header := lines[0]; strings.Contains(header, ",") {
		for i, col := range strings.Split(strings.TrimSpace(header), ",") {
			col = strings.Trim(strings.TrimSpace(col), `"`)
			switch {
			case keyIn(col, userKeys, userSuffixes):
				cols[i] = PersonalUserName
			case keyIn(col, hostKeys, hostSuffixes):
				cols[i] = PersonalHostName
			}
		}
	}
	for n, line := range lines {
		line = strings.TrimRight(line, "\r")
		for i, cell := range strings.Split(line, ",") {
			cell = strings.Trim(strings.TrimSpace(cell), `"`)
			cat := cellIdentity(cell)
			if cat == "" && n > 0 {
				cat = cols[i]
			}
			if cat != "" {
				add(cat, cell)
			}
		}
	}
}

// cellIdentity is the category of a text cell that is an identifier by
// its form alone: an e-mail address, a SID, an IP address. The cheap
// tests come first: a usage bundle holds millions of cells.
func cellIdentity(cell string) string {
	switch {
	case cell == "":
	case strings.IndexByte(cell, '@') > 0 && emailValue.MatchString(cell):
		return PersonalEmail
	case strings.HasPrefix(cell, "S-1-5-21-") && sidValue.MatchString(cell):
		return PersonalSID
	case isDigit(cell[0]) && strings.Count(cell, ".") == 3 && isIP(cell):
		return PersonalIP
	}
	return ""
}

// plainUser reports a user name sent as user@domain in clear.
func plainUser(category, value string) bool {
	switch category {
	case PersonalEmail, PersonalUPN:
		return true
	case PersonalUserName:
		return emailValue.MatchString(value)
	}
	return false
}

// mergeIdentities records one capture's identifiers; called inside the
// save transaction.
func mergeIdentities(t table, l *learned) error {
	id := strconv.FormatUint(l.id, 10)
	at := l.time.Format(store.TimeFormat)
	ep := l.ep.String()
	for _, f := range l.identities {
		k := identityKey(f.category, f.value)
		var e Identity
		if v := t.Get(store.DerivedIdentities, k); v != nil {
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("identity %q: %w", k, err)
			}
		} else {
			e = Identity{Category: f.category, Value: f.value, FirstID: id, FirstTime: at, Plain: plainUser(f.category, f.value)}
		}
		e.Uploads++
		e.LastID, e.LastTime = id, at
		if !slices.Contains(e.Endpoints, ep) {
			e.Endpoints = append(e.Endpoints, ep)
			slices.Sort(e.Endpoints)
		}
		b, _ := json.Marshal(e)
		if err := t.Put(store.DerivedIdentities, k, b); err != nil {
			return err
		}
	}
	return nil
}

// Identities lists every personal identifier sent, by category and value.
func (a *Analyzer) Identities() ([]Identity, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	out := []Identity{}
	err := a.db.read(func(t table) error {
		return t.Scan(store.DerivedIdentities, nil, func(k, v []byte) bool {
			var e Identity
			if json.Unmarshal(v, &e) == nil {
				out = append(out, e)
			}
			return true
		})
	})
	return out, err
}

// Anonymisation is whether Citrix's username anonymisation is in effect,
// judged from what was sent: any user@domain name in clear says it is not.
type Anonymisation struct {
	InEffect bool `json:"in_effect"`
	// Plain is how many distinct user@domain names left in clear, Example
	// one of them, and Endpoints where they went.
	Plain     int      `json:"plain"`
	Example   string   `json:"example,omitempty"`
	Endpoints []string `json:"endpoints,omitempty"`
}

// CheckAnonymisation judges ids (Identities).
func CheckAnonymisation(ids []Identity) Anonymisation {
	a := Anonymisation{InEffect: true}
	for _, id := range ids {
		if !id.Plain {
			continue
		}
		a.InEffect = false
		a.Plain++
		if a.Example == "" {
			a.Example = id.Value
		}
		for _, ep := range id.Endpoints {
			if !slices.Contains(a.Endpoints, ep) {
				a.Endpoints = append(a.Endpoints, ep)
			}
		}
	}
	slices.Sort(a.Endpoints)
	return a
}

// PlainUsers is what Options.OnPlainUsers hears about one capture that
// sent user@domain names in clear.
type PlainUsers struct {
	ID       string `json:"id"`
	Endpoint string `json:"endpoint"`
	Count    int    `json:"count"`
	Example  string `json:"example"`
}

// plainUsers sums up a learned capture's clear user names, if any.
func (l *learned) plainUsers() (PlainUsers, bool) {
	p := PlainUsers{ID: strconv.FormatUint(l.id, 10), Endpoint: l.ep.String()}
	for _, f := range l.identities {
		if plainUser(f.category, f.value) {
			if p.Count == 0 {
				p.Example = f.value
			}
			p.Count++
		}
	}
	return p, p.Count > 0
}
