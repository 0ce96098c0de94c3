package evidence

import "golang.org/x/mod/sumdb/tlog"

// compactTree is an RFC 6962 Merkle tree kept as the roots of its perfect
// subtrees, largest first: O(log n) memory to recompute a log of any size
// leaf by leaf, and its root at any size along the way.
type compactTree struct {
	n     uint64      // leaves so far
	stack []tlog.Hash // one subtree root per set bit of n, high bits first
}

// push adds a leaf hash and returns the hashes the store keeps for that
// leaf (tlog.StoredHashes): the leaf hash, then each subtree it completes.
func (t *compactTree) push(h tlog.Hash) []tlog.Hash {
	stored := []tlog.Hash{h}
	for k := t.n; k&1 == 1; k >>= 1 {
		h = tlog.NodeHash(t.stack[len(t.stack)-1], h)
		t.stack = t.stack[:len(t.stack)-1]
		stored = append(stored, h)
	}
	t.stack = append(t.stack, h)
	t.n++
	return stored
}

// root is the tree hash of the leaves so far (tlog.TreeHash).
func (t *compactTree) root() tlog.Hash {
	if len(t.stack) == 0 {
		h, _ := tlog.TreeHash(0, nil)
		return h
	}
	h := t.stack[len(t.stack)-1]
	for i := len(t.stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(t.stack[i], h)
	}
	return h
}
