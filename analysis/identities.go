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
	// Kind is who or what it identifies: KindPerson, KindDevice or
	// KindAddress (identityKind).
	Kind string `json:"kind,omitempty"`
	// Linked are the other identifiers of the same person that a payload
	// sent with it, in one object ("category:value"): a user's hashed
	// name, UPN and SID in one element of CEIP's users. CountIdentities
	// counts a person once over them.
	Linked []string `json:"linked,omitempty"`
}

// Key is the identity's key in Linked: "category:value".
func (id Identity) Key() string { return id.Category + ":" + id.Value }

// maxIdentitiesPerCapture bounds what one capture adds, so that a usage
// bundle of a large site cannot make one batch unbounded.
const maxIdentitiesPerCapture = 20000

// identityKey is an identifier's key in derived_identities.
func identityKey(category, value string) []byte {
	return []byte(category + "\x00" + value)
}

// found is one identifier in one capture: its category, value and kind,
// and the other person identifiers sent in the same object.
type found struct {
	category, value, kind string
	links                 []string
}

func (f found) key() string { return f.category + ":" + f.value }

// Kinds of identity: what an identifier points at.
const (
	KindPerson  = "person"  // e-mail, UPN, user name, SID, a hash of a user field
	KindDevice  = "device"  // a host or device name, or a hash of one
	KindAddress = "address" // an IP address
)

// identityKind is the kind of an identifier of category found at path:
// a hash is a device's when its path names a device or host.
func identityKind(category, path string) string {
	switch category {
	case PersonalHostName, PersonalDeviceID:
		return KindDevice
	case PersonalIP:
		return KindAddress
	case PersonalHashedID:
		p := strings.ToLower(path)
		for _, w := range []string{"device", "host", "machine", "computer", "workstation"} {
			if strings.Contains(p, w) {
				return KindDevice
			}
		}
	}
	return KindPerson
}

// maxLinks bounds the identifiers one identity records as linked.
const maxLinks = 16

// identitiesOf lists the distinct identifiers in a request's fields: the
// values Personal flags, each device of a device list, and in texts (a
// usage CSV) every e-mail address, SID and IPv4 address and the values of
// user and device columns. This is Telltale's one definition of an
// identity: the personal-data page, the capture page, the report and
// `telltale personal` all count what it finds (CountIdentities). Person
// identifiers in one element of an array of objects (CEIP's users[i]:
// hashed full name, sAM name, UPN, license id, SID) are linked, so that
// a person is counted once.
func identitiesOf(fields []inspect.Field) []found {
	index := map[string]int{}
	var out []found
	groups := map[string][]int{}
	add := func(cat, v, path, group string) {
		v = strings.TrimSpace(v)
		if v == "" {
			return
		}
		k := cat + ":" + v
		i, ok := index[k]
		if !ok {
			if len(out) >= maxIdentitiesPerCapture {
				return
			}
			i = len(out)
			index[k] = i
			out = append(out, found{category: cat, value: v, kind: identityKind(cat, path)})
		}
		if group != "" && out[i].kind == KindPerson && !slices.Contains(groups[group], i) {
			groups[group] = append(groups[group], i)
		}
	}
	for _, f := range fields {
		s, _ := f.Value.(string)
		switch {
		case f.Type == inspect.KindString && keyIn(memberName(f.Path), deviceListKeys, nil):
			add(PersonalHostName, s, f.Path, "")
		case f.Type == inspect.KindString:
			if p, ok := personalValue(f.Path, s); ok {
				add(p.Category, s, f.Path, elementOf(f.Path))
			}
		case f.Type == inspect.KindText:
			textIdentities(s, func(cat, v string) { add(cat, v, f.Path, "") })
		}
	}
	for _, members := range groups {
		for _, i := range members {
			for _, j := range members {
				if i != j && len(out[i].links) < maxLinks {
					out[i].links = append(out[i].links, out[j].key())
				}
			}
		}
	}
	return out
}

// elementOf is the array element that holds a member ("$.users[3]" of
// "$.users[3].upn"), or "" when its object is not an array's element.
func elementOf(path string) string {
	i := strings.LastIndexByte(path, '.')
	if i <= 0 || path[i-1] != ']' {
		return ""
	}
	return path[:i]
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
		}
		e.add(f, id, at, ep)
		b, _ := json.Marshal(e)
		if err := t.Put(store.DerivedIdentities, k, b); err != nil {
			return err
		}
	}
	return nil
}

// add counts one more capture (id, sent at at to endpoint ep) that
// carried f.
func (e *Identity) add(f found, id, at, ep string) {
	if e.Uploads == 0 {
		*e = Identity{Category: f.category, Value: f.value, FirstID: id, FirstTime: at, Plain: plainUser(f.category, f.value)}
	}
	e.Kind = f.kind
	e.Uploads++
	e.LastID, e.LastTime = id, at
	if !slices.Contains(e.Endpoints, ep) {
		e.Endpoints = append(e.Endpoints, ep)
		slices.Sort(e.Endpoints)
	}
	for _, l := range f.links {
		if len(e.Linked) < maxLinks && !slices.Contains(e.Linked, l) {
			e.Linked = append(e.Linked, l)
		}
	}
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
