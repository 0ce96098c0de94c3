package inspect

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/aymanbagabas/go-udiff/lcs"
)

// maxSuffixCandidates bounds the id-like members tried as evident keys.
const maxSuffixCandidates = 8

// pair matches old element i with new element j.
type pair struct{ i, j int }

// match pairs the elements of two arrays; the rest were removed (onlyA) or
// added (onlyB).
func (df *differ) match(a, b *node, lb loc) (pairs []pair, onlyA, onlyB []int) {
	key := df.arrayKey(a, b, lb)
	switch {
	case key == SetKey:
		return matchAsSet(a, b)
	case key != "":
		return matchByKey(a, b, key)
	}
	if allScalars(a) && allScalars(b) {
		return matchLCS(a, b)
	}
	return matchByPosition(a, b)
}

// arrayKey is the configured key for the array at lb, else an evident one.
func (df *differ) arrayKey(a, b *node, lb loc) string {
	for _, k := range df.keys {
		if k.pat.match(lb) {
			return k.field
		}
	}
	return evidentKey(a, b)
}

// evidentKey is the first candidate member present, scalar and unique in
// every element of both arrays, or "".
func evidentKey(a, b *node) string {
	if len(a.kids) == 0 || len(b.kids) == 0 || !allObjects(a) || !allObjects(b) {
		return ""
	}
	for _, k := range keyCandidates(b.kids[0]) {
		if uniqueKey(a, k) && uniqueKey(b, k) {
			return k
		}
	}
	return ""
}

// keyCandidates are the evident keys, then the element's members whose
// names end like an id, in name order.
func keyCandidates(first *node) []string {
	cands := slices.Clone(evidentKeys)
	var more []string
	for _, k := range first.keys {
		name := trimAt(k)
		if slices.Contains(cands, name) {
			continue
		}
		for _, suf := range idSuffixes {
			if strings.HasSuffix(name, suf) && len(name) > len(suf) {
				more = append(more, name)
				break
			}
		}
	}
	slices.Sort(more)
	// A few suffix candidates are plenty; many would make each array cost
	// candidates x elements x members.
	return append(cands, more[:min(len(more), maxSuffixCandidates)]...)
}

func uniqueKey(arr *node, key string) bool {
	seen := make(map[string]bool, len(arr.kids))
	for _, el := range arr.kids {
		v, ok := keyValue(el, key)
		if !ok || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

// keyValue is the scalar value of el's member key (or XML attribute @key).
func keyValue(el *node, key string) (string, bool) {
	m := el.member(key)
	if m == nil {
		m = el.member("@" + key)
	}
	if m == nil || !m.isScalar() {
		return "", false
	}
	return m.scalarKey(), true
}

// matchByKey pairs elements with equal key values, the k-th old
// occurrence of a value with the k-th new one; elements without the key
// share one value.
func matchByKey(a, b *node, key string) (pairs []pair, onlyA, onlyB []int) {
	queue := map[string][]int{}
	for i, el := range a.kids {
		v, _ := keyValue(el, key)
		queue[v] = append(queue[v], i)
	}
	used := make([]bool, len(a.kids))
	for j, el := range b.kids {
		v, _ := keyValue(el, key)
		if q := queue[v]; len(q) > 0 {
			pairs = append(pairs, pair{q[0], j})
			used[q[0]] = true
			queue[v] = q[1:]
		} else {
			onlyB = append(onlyB, j)
		}
	}
	for i, u := range used {
		if !u {
			onlyA = append(onlyA, i)
		}
	}
	return pairs, onlyA, onlyB
}

// matchLCS aligns arrays of scalars on a longest common subsequence, so an
// inserted device id is one addition; replaced runs pair by position.
func matchLCS(a, b *node) (pairs []pair, onlyA, onlyB []int) {
	sa, sb := scalarKeys(a), scalarKeys(b)
	i, j := 0, 0
	for _, d := range lcs.DiffLines(sa, sb) {
		for ; i < d.Start; i, j = i+1, j+1 {
			pairs = append(pairs, pair{i, j})
		}
		for ; i < d.End && j < d.ReplEnd; i, j = i+1, j+1 {
			pairs = append(pairs, pair{i, j})
		}
		for ; i < d.End; i++ {
			onlyA = append(onlyA, i)
		}
		for ; j < d.ReplEnd; j++ {
			onlyB = append(onlyB, j)
		}
	}
	for ; i < len(sa) && j < len(sb); i, j = i+1, j+1 {
		pairs = append(pairs, pair{i, j})
	}
	return pairs, onlyA, onlyB
}

// matchAsSet pairs equal elements only, the k-th old occurrence of a
// value with the k-th new one, whatever their positions: a list of
// devices or users compares as a set, so a replaced device is one
// removal and one addition, never a change at an index.
func matchAsSet(a, b *node) (pairs []pair, onlyA, onlyB []int) {
	queue := map[string][]int{}
	for i, el := range a.kids {
		k := setKey(el)
		queue[k] = append(queue[k], i)
	}
	used := make([]bool, len(a.kids))
	for j, el := range b.kids {
		k := setKey(el)
		if q := queue[k]; len(q) > 0 {
			pairs = append(pairs, pair{q[0], j})
			used[q[0]] = true
			queue[k] = q[1:]
		} else {
			onlyB = append(onlyB, j)
		}
	}
	for i, u := range used {
		if !u {
			onlyA = append(onlyA, i)
		}
	}
	return pairs, onlyA, onlyB
}

// setKey is an element's identity in a set: a scalar's value, or a
// container's whole plain value.
func setKey(n *node) string {
	if n.isScalar() && n.sub == nil {
		return n.scalarKey()
	}
	b, _ := json.Marshal(n.plain())
	return string(b)
}

func matchByPosition(a, b *node) (pairs []pair, onlyA, onlyB []int) {
	n := min(len(a.kids), len(b.kids))
	for i := range n {
		pairs = append(pairs, pair{i, i})
	}
	for i := n; i < len(a.kids); i++ {
		onlyA = append(onlyA, i)
	}
	for j := n; j < len(b.kids); j++ {
		onlyB = append(onlyB, j)
	}
	return pairs, onlyA, onlyB
}

func scalarKeys(n *node) []string {
	s := make([]string, len(n.kids))
	for i, kid := range n.kids {
		s[i] = kid.scalarKey()
	}
	return s
}

func allScalars(n *node) bool {
	for _, kid := range n.kids {
		if !kid.isScalar() || kid.sub != nil {
			return false
		}
	}
	return true
}

func allObjects(n *node) bool {
	for _, kid := range n.kids {
		if kid.kind != KindObject {
			return false
		}
	}
	return true
}
