package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sort"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// The capture index makes a filtered bundle provable complete: a
// checkpoint's "index" line signs, for every host and every endpoint, how
// many captures of it the tree holds and a hash of their numbers and
// times, so that a bundle of one host or endpoint (or a time range) can
// show it holds every capture of its filter, and a verifier with the whole
// log can show the index left none out.
//
// A host's list is its opening records (request, tunnel, denied) among the
// first tree-size records, by Seq; the host is Record.Host in lowercase,
// "" for records without one. An endpoint's list is its requests
// (EndpointOf; tunnels and denied records have none). The time is
// store.IndexNanos of the record's Time, the time List filters on. A
// list's hash is the SHA-256 of
//
//	telltale-host-index/v1 (or telltale-endpoint-index/v1)
//	host <host> (or endpoint <endpoint>)
//	<seq> <unix nanoseconds>        one line per capture, by seq
//
// and the index root, the checkpoint's index line, is the SHA-256 of
//
//	telltale-index/v2
//	host <count> <list hash, hex> <host>          one line per host, by host (bytes)
//	endpoint <count> <list hash, hex> <endpoint>  one line per endpoint, by endpoint
//
// Checkpoints signed before endpoints were indexed sign IndexFormatV1:
//
//	telltale-index/v1
//	<count> <host hash, hex> <host>  one line per host, by host (bytes)
const (
	hostIndexTitle     = "telltale-host-index/v1"
	endpointIndexTitle = "telltale-endpoint-index/v1"
	IndexFormat        = "telltale-index/v2"
	IndexFormatV1      = "telltale-index/v1"
)

// Kinds of index list.
const (
	kindHost     = "host"
	kindEndpoint = "endpoint"
)

// Index is the capture index of a tree.
type Index struct {
	hosts, endpoints map[string]*listIndex
	// keep, when set, says which lists to keep the captures of (Kept).
	keep func(kind, key string) bool
	// records are the seqs of the index records IndexOf read.
	records []uint64
}

type listIndex struct {
	count uint64
	h     hash.Hash // the running hash of the list, title and key line first
	tree  listTree  // the Merkle tree of the list (IndexFormatV3)
	kept  []store.Opening
}

// NewIndex is an empty index.
func NewIndex() *Index {
	return &Index{hosts: map[string]*listIndex{}, endpoints: map[string]*listIndex{}}
}

// Add appends one capture of a host, in Seq order within its host.
func (x *Index) Add(host string, seq uint64, nanos int64) {
	x.add(x.hosts, kindHost, strings.ToLower(host), seq, nanos)
}

// AddEndpoint appends one capture of an endpoint (EndpointOf), in Seq
// order within its endpoint.
func (x *Index) AddEndpoint(endpoint string, seq uint64, nanos int64) {
	x.add(x.endpoints, kindEndpoint, endpoint, seq, nanos)
}

func (x *Index) add(m map[string]*listIndex, kind, key string, seq uint64, nanos int64) {
	li := m[key]
	if li == nil {
		li = &listIndex{h: sha256.New()}
		title := hostIndexTitle
		if kind == kindEndpoint {
			title = endpointIndexTitle
		}
		fmt.Fprintf(li.h, "%s\n%s %s\n", title, kind, key)
		m[key] = li
	}
	li.count++
	fmt.Fprintf(li.h, "%d %d\n", seq, nanos)
	li.tree.add(seq, nanos)
	if x.keep != nil && x.keep(kind, key) {
		li.kept = append(li.kept, store.Opening{Seq: seq, Time: nanos})
	}
}

// IndexHost is one host's line of the index.
type IndexHost struct {
	Host  string `json:"host"`
	Count uint64 `json:"count"`
	Hash  string `json:"hash"` // hex SHA-256 of the host's list
}

// IndexEndpoint is one endpoint's line of the index.
type IndexEndpoint struct {
	Endpoint string `json:"endpoint"`
	Count    uint64 `json:"count"`
	Hash     string `json:"hash"` // hex SHA-256 of the endpoint's list
}

// Hosts are the index's host lines, by host.
func (x *Index) Hosts() []IndexHost {
	out := make([]IndexHost, 0, len(x.hosts))
	for h, li := range x.hosts {
		out = append(out, IndexHost{Host: h, Count: li.count, Hash: hex.EncodeToString(li.h.Sum(nil))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}

// Endpoints are the index's endpoint lines, by endpoint.
func (x *Index) Endpoints() []IndexEndpoint {
	out := make([]IndexEndpoint, 0, len(x.endpoints))
	for e, li := range x.endpoints {
		out = append(out, IndexEndpoint{Endpoint: e, Count: li.count, Hash: hex.EncodeToString(li.h.Sum(nil))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Endpoint < out[j].Endpoint })
	return out
}

// Kept is the captures of a list the index was told to keep.
func (x *Index) Kept(kind, key string) []store.Opening {
	m := x.hosts
	if kind == kindEndpoint {
		m = x.endpoints
	}
	if li := m[key]; li != nil {
		return li.kept
	}
	return nil
}

// Root is what a checkpoint's index line signs.
func (x *Index) Root() tlog.Hash { return IndexRoot(x.Hosts(), x.Endpoints()) }

// RootV1 is the root an older checkpoint signs: hosts only.
func (x *Index) RootV1() tlog.Hash { return IndexRootV1(x.Hosts()) }

// Format is the format of the index whose root is r, or "" when r is
// neither this index's root nor its older, host-only root.
func (x *Index) Format(r tlog.Hash) string {
	switch r {
	case x.Root():
		return IndexFormat
	case x.RootV1():
		return IndexFormatV1
	}
	return ""
}

// IndexRoot hashes index lines, which must be sorted by host and by
// endpoint.
func IndexRoot(hosts []IndexHost, endpoints []IndexEndpoint) tlog.Hash {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", IndexFormat)
	for _, e := range hosts {
		fmt.Fprintf(h, "%s %d %s %s\n", kindHost, e.Count, e.Hash, e.Host)
	}
	for _, e := range endpoints {
		fmt.Fprintf(h, "%s %d %s %s\n", kindEndpoint, e.Count, e.Hash, e.Endpoint)
	}
	var r tlog.Hash
	h.Sum(r[:0])
	return r
}

// IndexRootV1 hashes host lines, sorted by host, as IndexFormatV1 does.
func IndexRootV1(hosts []IndexHost) tlog.Hash {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", IndexFormatV1)
	for _, e := range hosts {
		fmt.Fprintf(h, "%d %s %s\n", e.Count, e.Hash, e.Host)
	}
	var r tlog.Hash
	h.Sum(r[:0])
	return r
}

// HostHash is the hash of one host's list of captures.
func HostHash(host string, seqs []uint64, nanos []int64) string {
	return listHash(kindHost, host, seqs, nanos)
}

// EndpointHash is the hash of one endpoint's list of captures.
func EndpointHash(endpoint string, seqs []uint64, nanos []int64) string {
	return listHash(kindEndpoint, endpoint, seqs, nanos)
}

func listHash(kind, key string, seqs []uint64, nanos []int64) string {
	x := NewIndex()
	m := x.hosts
	if kind == kindEndpoint {
		m = x.endpoints
	}
	for i := range seqs {
		x.add(m, kind, key, seqs[i], nanos[i])
	}
	if li := m[key]; li != nil {
		return hex.EncodeToString(li.h.Sum(nil))
	}
	return ""
}

// errIndexed stops the scan of records at the tree size.
var errIndexed = errors.New("indexed")

// IndexOf builds the capture index of the first size records: hosts from
// the store's indexes, endpoints from the requests' heads. keep, if not
// nil, says which lists to keep the captures of (Index.Kept).
func IndexOf(st *store.Store, size uint64, keep func(kind, key string) bool) (*Index, error) {
	x := NewIndex()
	x.keep = keep
	err := st.HostOpenings(size, func(host string, list []store.Opening) error {
		for _, o := range list {
			x.Add(host, o.Seq, o.Time)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = st.Records(1, func(r *store.Record) error {
		if r.Seq > size {
			return errIndexed
		}
		if r.Kind == store.KindIndex {
			x.records = append(x.records, r.Seq)
		}
		x.addEndpoint(r)
		return nil
	})
	if err != nil && !errors.Is(err, errIndexed) {
		return nil, fmt.Errorf("capture index: %w", err)
	}
	return x, nil
}

// IndexCache keeps the capture index of one store's first records, so
// that each checkpoint reads only the records appended since the last:
// IndexOf reads every record, about 8 µs each (seconds at a million).
// Safe for concurrent use.
type IndexCache struct {
	st   *store.Store
	mu   sync.Mutex
	x    *Index // of the first size records; nil until the first Root
	size uint64
}

// NewIndexCache is an empty cache over st.
func NewIndexCache(st *store.Store) *IndexCache { return &IndexCache{st: st} }

// Root is the index root of the first size records, as IndexOf(st, size,
// nil).Root() computes it.
func (c *IndexCache) Root(size uint64) (tlog.Hash, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	x, err := c.at(size)
	if err != nil {
		return tlog.Hash{}, err
	}
	return x.Root(), nil
}

// at is the index of the first size records; c.mu is held.
func (c *IndexCache) at(size uint64) (*Index, error) {
	if c.x == nil || size < c.size {
		x, err := IndexOf(c.st, size, nil)
		if err != nil {
			return nil, err
		}
		c.x, c.size = x, size
		return x, nil
	}
	err := c.st.Records(c.size+1, func(r *store.Record) error {
		if r.Seq > size {
			return errIndexed
		}
		c.x.addRecord(r)
		c.size = r.Seq
		return nil
	})
	if err != nil && !errors.Is(err, errIndexed) {
		c.x = nil // part-way: start afresh next time
		return nil, fmt.Errorf("capture index: %w", err)
	}
	if c.size != size {
		c.x = nil
		return nil, fmt.Errorf("capture index: the log has %d records, not %d", c.size, size)
	}
	return c.x, nil
}

// addRecord adds one record, in Seq order: an opening record to its
// host's list, a request also to its endpoint's. An index record is in
// no list.
func (x *Index) addRecord(r *store.Record) {
	if r.Kind == store.KindIndex {
		return
	}
	if r.Kind != store.KindResponse {
		x.Add(r.Host, r.Seq, store.IndexNanos(r.Time))
	}
	x.addEndpoint(r)
}

// addEndpoint adds a request to its endpoint's list.
func (x *Index) addEndpoint(r *store.Record) {
	if r.Kind != store.KindRequest || r.Head == nil {
		return
	}
	if e := EndpointOf(r.Head.Method, r.Head.URL); e != "" {
		x.AddEndpoint(e, r.Seq, store.IndexNanos(r.Time))
	}
}

// bad notes a record that failed: the index cannot be recomputed past it.
func (v *verifier) bad(seq uint64) {
	if v.firstBad == 0 || seq < v.firstBad {
		v.firstBad = seq
	}
}

// checkIndexes compares each checkpoint's index line with the index
// recomputed from the records up to its size, in either format. A
// checkpoint whose root or records already failed is not checked again:
// the index would only repeat those failures.
func (v *verifier) checkIndexes() {
	for _, c := range v.cps {
		if c.Index == nil || v.roots[c.Size] != c.Root || (v.firstBad != 0 && v.firstBad <= c.Size) {
			continue
		}
		got, ok := v.indexRoots[c.Size]
		if ok && got[0] != *c.Index && got[1] != *c.Index {
			v.rep.fail(Finding{Checkpoint: c.index, Msg: fmt.Sprintf(
				"capture index %s does not match %s, recomputed from the first %d records (a capture was left out of the index, or records were changed)",
				*c.Index, got[0], c.Size)})
		}
	}
}
