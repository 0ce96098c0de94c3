package inspect

import (
	"slices"
	"strings"
)

// Change operations.
const (
	OpAdded   = "added"
	OpRemoved = "removed"
	OpChanged = "changed"
)

// Change is one difference between two decoded trees.
type Change struct {
	// Path is where the change is: in the new tree for added and changed,
	// in the old tree for removed.
	Path string `json:"path"`
	Op   string `json:"op"`
	// From and To are the old and new values (plain: maps, slices,
	// json.Number, strings); a whole subtree for added and removed.
	From any `json:"from"`
	To   any `json:"to"`
	// Volatile: the path matches a DiffOptions.Volatile pattern.
	Volatile bool `json:"volatile,omitempty"`
	// TypeChanged: the value's type changed, e.g. number to string.
	TypeChanged bool `json:"typeChanged,omitempty"`
	// Unified is a unified line diff of From and To when both are texts.
	Unified string `json:"unified,omitempty"`
}

// DiffOptions guide Diff. Patterns are globs over paths: "*" matches within
// one segment, "**" matches anything, "[]" matches any index (shape form).
// A pattern that starts with "$" or "/" and has no ":" also matches the
// document part of deeper paths, so "$.features" finds that array in every
// JSON document.
type DiffOptions struct {
	// Keys maps an array's path pattern to the member that identifies its
	// elements, e.g. "$.features" -> "id", or to SetKey to compare its
	// elements as a set.
	Keys map[string]string
	// Volatile lists patterns of paths expected to change on every
	// transmission (timestamps, hashes); their changes are marked Volatile.
	Volatile []string
}

// SetKey as an array's key in DiffOptions.Keys compares the array as a
// (multi)set: equal elements pair wherever they are, the others are
// removed or added. Device and user lists are sets.
const SetKey = "{set}"

// evidentKeys are the member names Diff tries, in order, to match array
// elements when DiffOptions.Keys names none; members whose names end in
// one of idSuffixes are tried after them.
var (
	evidentKeys = []string{"id", "Id", "ID", "featureId", "FeatureId", "FeatureID",
		"SN", "GUID", "Guid", "guid", "name", "Name", "key", "Key"}
	idSuffixes = []string{"Id", "ID", "_id", "Guid", "GUID"}
)

// Diff compares two decoded trees and returns their changes sorted by path.
// Arrays of objects are matched by a configured key, else by an evident
// key, else by position; arrays of scalars by longest common subsequence.
// Texts compare whole, bytes by SHA-256.
func Diff(a, b *Part, opts DiffOptions) []Change {
	df := &differ{}
	for _, glob := range sortedKeys(opts.Keys) {
		df.keys = append(df.keys, keyRule{compilePattern(glob), opts.Keys[glob]})
	}
	for _, glob := range opts.Volatile {
		df.volatile = append(df.volatile, compilePattern(glob))
	}
	df.parts(a, b, loc{}, loc{})
	slices.SortStableFunc(df.out, func(x, y Change) int {
		if c := comparePaths(x.Path, y.Path); c != 0 {
			return c
		}
		return opRank(x.Op) - opRank(y.Op)
	})
	return df.out
}

func opRank(op string) int { return strings.Index("removed changed added", op) }

type keyRule struct {
	pat   *pattern
	field string
}

type differ struct {
	keys     []keyRule
	volatile []*pattern
	out      []Change
}

func (df *differ) emit(op string, at loc, from, to any, typeChanged bool) *Change {
	c := Change{Path: at.path(), Op: op, From: from, To: to, TypeChanged: typeChanged}
	for _, p := range df.volatile {
		if p.match(at) {
			c.Volatile = true
			break
		}
	}
	df.out = append(df.out, c)
	return &df.out[len(df.out)-1]
}

// emitText reports a changed text or string, with a unified line diff
// when either side has more than one line.
func (df *differ) emitText(at loc, from, to string) {
	c := df.emit(OpChanged, at, from, to, false)
	if strings.Contains(from, "\n") || strings.Contains(to, "\n") {
		c.Unified = UnifiedText(from, to, 3)
	}
}

// parts compares two parts found at la (old) and lb (new).
func (df *differ) parts(a, b *Part, la, lb loc) {
	a, b = a.Content(), b.Content()
	ka, kb := unitKind(a), unitKind(b)
	if ka != kb {
		df.emit(OpChanged, unitLoc(b, lb), partValue(a), partValue(b), true)
		return
	}
	switch ka {
	case "container":
		df.containers(a, b, la, lb)
	case TypeJSON, TypeXML:
		ta, ra := docRoot(a)
		tb, rb := docRoot(b)
		if ra != rb { // XML root renamed
			df.emit(OpChanged, lb.in(rb, rb), ta.plain(), tb.plain(), false)
			return
		}
		df.nodes(ta, tb, la.in(ra, ra), lb.in(rb, rb))
	case TypeText:
		if va, vb := partValue(a).(string), partValue(b).(string); va != vb {
			df.emitText(lb, va, vb)
		}
	default:
		if va, vb := digest(a.Raw), digest(b.Raw); va != vb {
			df.emit(OpChanged, lb, va, vb, false)
		}
	}
}

// containers matches children by their steps.
func (df *differ) containers(a, b *Part, la, lb loc) {
	sa, sb := childSteps(a), childSteps(b)
	inA := map[string]childStep{}
	for _, c := range sa {
		inA[c.step] = c
	}
	inB := map[string]bool{}
	for _, c := range sb {
		inB[c.step] = true
		at := lb.step(c.step, c.shape)
		if old, ok := inA[c.step]; ok {
			df.parts(old.part, c.part, la.step(old.step, old.shape), at)
		} else {
			df.emit(OpAdded, unitLoc(c.part.Content(), at), nil, partValue(c.part), false)
		}
	}
	for _, c := range sa {
		if !inB[c.step] {
			at := la.step(c.step, c.shape)
			df.emit(OpRemoved, unitLoc(c.part.Content(), at), partValue(c.part), nil, false)
		}
	}
}

// nodes compares two document nodes.
func (df *differ) nodes(a, b *node, la, lb loc) {
	switch {
	case a.sub != nil && b.sub != nil:
		df.parts(a.sub, b.sub, la.descend(), lb.descend())
	case a.kind != b.kind:
		df.emit(OpChanged, lb, a.plain(), b.plain(), true)
	case a.kind == KindObject:
		df.objects(a, b, la, lb)
	case a.kind == KindArray:
		df.arrays(a, b, la, lb)
	case a.scalarKey() != b.scalarKey():
		if sa, ok := a.val.(string); ok {
			df.emitText(lb, sa, b.val.(string))
			return
		}
		df.emit(OpChanged, lb, a.val, b.val, false)
	}
}

func (df *differ) objects(a, b *node, la, lb loc) {
	inA := make(map[string]int, len(a.keys))
	for i, k := range a.keys {
		inA[k] = i
	}
	inB := make(map[string]bool, len(b.keys))
	for j, k := range b.keys {
		inB[k] = true
		at := lb.in(b.segs[j], b.segs[j])
		if i, ok := inA[k]; ok {
			df.nodes(a.kids[i], b.kids[j], la.in(a.segs[i], a.segs[i]), at)
		} else {
			df.emit(OpAdded, at, nil, b.kids[j].plain(), false)
		}
	}
	for i, k := range a.keys {
		if !inB[k] {
			df.emit(OpRemoved, la.in(a.segs[i], a.segs[i]), a.kids[i].plain(), nil, false)
		}
	}
}

func (df *differ) arrays(a, b *node, la, lb loc) {
	pairs, onlyA, onlyB := df.match(a, b, lb)
	for _, p := range pairs {
		df.nodes(a.kids[p.i], b.kids[p.j], la.in(a.indexSeg(p.i), anyIndex), lb.in(b.indexSeg(p.j), anyIndex))
	}
	for _, i := range onlyA {
		df.emit(OpRemoved, la.in(a.indexSeg(i), anyIndex), a.kids[i].plain(), nil, false)
	}
	for _, j := range onlyB {
		df.emit(OpAdded, lb.in(b.indexSeg(j), anyIndex), nil, b.kids[j].plain(), false)
	}
}
