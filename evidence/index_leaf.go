package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// The index leaf: at each checkpoint the signer appends the capture index
// to the log itself, as a store.KindIndex record whose body is the index
// text, and signs the tree that ends with it. The index is then covered
// by the tree, so by every consistency proof, timestamp and witness of a
// later checkpoint: whoever holds the key cannot rewrite it without
// rewriting the log. The text (IndexFormatV3) is
//
//	telltale-index/v3
//	size <N>                                      the records indexed: 1 to N
//	host <count> <list root, hex> <host>          one line per host, by host (bytes)
//	endpoint <count> <list root, hex> <endpoint>  one line per endpoint, by endpoint
//
// with the lists as index.go defines them, among the first N records. A
// list root is the RFC 6962 Merkle tree hash (tlog.TreeHash) of the
// list's captures, by seq, leaf i being the text "<seq> <unix
// nanoseconds>\n", so that an older index's list is provably a prefix of
// a newer one's: a capture once listed never leaves its list. N is the
// log's size when the index was computed, below the record's own seq
// (usually one below; more when captures were appended meanwhile).
//
// The checkpoint signs the tree up to and including the index record
// (its tree size is the record's seq) and, as its fifth line,
//
//	index-leaf <SHA-256 of the index text, base64>
//
// which says that its last leaf is an index record, and which one.
const IndexFormatV3 = "telltale-index/v3"

// indexLeafPrefix starts a checkpoint's index-leaf line.
const indexLeafPrefix = "index-leaf "

// listTree is the Merkle tree of one list, kept as the hashes of its
// complete subtrees, largest first: enough to add a leaf and to give the
// root.
type listTree struct {
	n     uint64
	stack []tlog.Hash
}

// listLeaf is the leaf hash of one capture of a list.
func listLeaf(seq uint64, nanos int64) tlog.Hash {
	return tlog.RecordHash(fmt.Appendf(nil, "%d %d\n", seq, nanos))
}

func (t *listTree) add(seq uint64, nanos int64) {
	t.stack = append(t.stack, listLeaf(seq, nanos))
	for n := t.n; n&1 == 1; n >>= 1 {
		k := len(t.stack)
		t.stack = append(t.stack[:k-2], tlog.NodeHash(t.stack[k-2], t.stack[k-1]))
	}
	t.n++
}

// root is tlog.TreeHash of the list.
func (t *listTree) root() tlog.Hash {
	if len(t.stack) == 0 {
		return tlog.Hash{}
	}
	r := t.stack[len(t.stack)-1]
	for i := len(t.stack) - 2; i >= 0; i-- {
		r = tlog.NodeHash(t.stack[i], r)
	}
	return r
}

// ListRoot is the root of a list of captures, Seqs[i] at Times[i].
func ListRoot(seqs []uint64, times []int64) tlog.Hash {
	var t listTree
	for i := range seqs {
		t.add(seqs[i], times[i])
	}
	return t.root()
}

// IndexLine is one host's or endpoint's line of an index text.
type IndexLine struct {
	Count uint64
	Root  string // hex
}

// IndexText is a parsed index text.
type IndexText struct {
	Size      uint64
	Hosts     map[string]IndexLine
	Endpoints map[string]IndexLine
}

// Text is the index text of x, which indexes the first size records.
func (x *Index) Text(size uint64) []byte {
	b := fmt.Appendf(nil, "%s\nsize %d\n", IndexFormatV3, size)
	for _, l := range x.lines() {
		b = fmt.Appendf(b, "%s %d %s %s\n", l.kind, l.li.count, hexHash(l.li.tree.root()), l.key)
	}
	return b
}

type keyedList struct {
	kind, key string
	li        *listIndex
}

// lines are the index's lists in text order: hosts, then endpoints, each
// by key.
func (x *Index) lines() []keyedList {
	var out []keyedList
	for _, h := range x.Hosts() {
		out = append(out, keyedList{kindHost, h.Host, x.hosts[h.Host]})
	}
	for _, e := range x.Endpoints() {
		out = append(out, keyedList{kindEndpoint, e.Endpoint, x.endpoints[e.Endpoint]})
	}
	return out
}

// IndexTextOf builds the text of an index from its lines, which must be
// sorted by host and by endpoint, with Hash the list root in hex.
func IndexTextOf(size uint64, hosts []IndexHost, endpoints []IndexEndpoint) []byte {
	b := fmt.Appendf(nil, "%s\nsize %d\n", IndexFormatV3, size)
	for _, h := range hosts {
		b = fmt.Appendf(b, "%s %d %s %s\n", kindHost, h.Count, h.Hash, h.Host)
	}
	for _, e := range endpoints {
		b = fmt.Appendf(b, "%s %d %s %s\n", kindEndpoint, e.Count, e.Hash, e.Endpoint)
	}
	return b
}

// ParseIndexText parses an index text. It accepts only the form Text
// writes.
func ParseIndexText(b []byte) (IndexText, error) {
	t := IndexText{Hosts: map[string]IndexLine{}, Endpoints: map[string]IndexLine{}}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 3 || lines[0] != IndexFormatV3 || lines[len(lines)-1] != "" {
		return t, fmt.Errorf("index text: not a %s text", IndexFormatV3)
	}
	size, ok := strings.CutPrefix(lines[1], "size ")
	n, err := strconv.ParseUint(size, 10, 64)
	if !ok || err != nil || strconv.FormatUint(n, 10) != size {
		return t, fmt.Errorf("index text: bad size line %q", lines[1])
	}
	t.Size = n
	for _, l := range lines[2 : len(lines)-1] {
		kind, rest, _ := strings.Cut(l, " ")
		count, rest, _ := strings.Cut(rest, " ")
		root, key, _ := strings.Cut(rest, " ")
		c, err := strconv.ParseUint(count, 10, 64)
		m := t.Hosts
		if kind == kindEndpoint {
			m = t.Endpoints
		}
		if err != nil || c == 0 || (kind != kindHost && kind != kindEndpoint) || !isHexSHA256(root) {
			return t, fmt.Errorf("index text: bad line %q", l)
		}
		if _, dup := m[key]; dup {
			return t, fmt.Errorf("index text: %s %q twice", kind, key)
		}
		m[key] = IndexLine{Count: c, Root: root}
	}
	if again := t.encode(); !bytes.Equal(again, b) {
		return t, fmt.Errorf("index text: not in canonical form (order, numbers)")
	}
	return t, nil
}

// encode writes t as Text does.
func (t IndexText) encode() []byte {
	var hosts []IndexHost
	for _, k := range slices.Sorted(maps.Keys(t.Hosts)) {
		hosts = append(hosts, IndexHost{Host: k, Count: t.Hosts[k].Count, Hash: t.Hosts[k].Root})
	}
	var endpoints []IndexEndpoint
	for _, k := range slices.Sorted(maps.Keys(t.Endpoints)) {
		endpoints = append(endpoints, IndexEndpoint{Endpoint: k, Count: t.Endpoints[k].Count, Hash: t.Endpoints[k].Root})
	}
	return IndexTextOf(t.Size, hosts, endpoints)
}

// line is the line of a list, zero when the text has none.
func (t IndexText) line(kind, key string) IndexLine {
	if kind == kindEndpoint {
		return t.Endpoints[key]
	}
	return t.Hosts[key]
}

// indexTextHash is what a checkpoint's index-leaf line signs.
func indexTextHash(text []byte) tlog.Hash {
	return tlog.Hash(sha256.Sum256(text))
}

func hexHash(h tlog.Hash) string { return hex.EncodeToString(h[:]) }

// extendedBy checks that the list seqs/times, a newer index's list of kind
// and key in full, extends old's line of it: old's captures are its first
// ones, and every later one came after old's size.
func (t IndexText) extendedBy(kind, key string, seqs []uint64, times []int64) error {
	l := t.line(kind, key)
	if l.Count > uint64(len(seqs)) {
		return fmt.Errorf("the index of the first %d records lists %d captures of %s %q, the newer one only %d: captures left the list",
			t.Size, l.Count, kind, key, len(seqs))
	}
	if l.Count > 0 && hexHash(ListRoot(seqs[:l.Count], times[:l.Count])) != l.Root {
		return fmt.Errorf("the index of the first %d records lists other captures of %s %q than the newer one begins with: captures were dropped or changed",
			t.Size, kind, key)
	}
	for _, s := range seqs[l.Count:] {
		if s <= t.Size {
			return fmt.Errorf("capture %d of %s %q is within the first %d records, but the index of them does not list it",
				s, kind, key, t.Size)
		}
	}
	return nil
}
