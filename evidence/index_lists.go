package evidence

import (
	"encoding/json"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// filtered reports whether a selection leaves out captures by host,
// endpoint or time.
func (s Selection) filtered() bool {
	return s.Host != "" || s.Endpoint != "" || s.Since != "" || s.Until != ""
}

// holds reports whether a selection by host, endpoint or time (not by id)
// takes a capture of host with the shown view c, time aside.
func (s Selection) holds(host string, c *store.Capture) bool {
	if s.Endpoint != "" {
		return len(s.IDs) == 0 && c.Kind == store.CaptureExchange && EndpointOf(c.Method, c.URL) == s.Endpoint
	}
	return s.covers(host)
}

// endpointIndexed checks that a selection's endpoint is written as
// EndpointOf writes it, and says when the checkpoint's index has no
// endpoints to prove it complete by.
func (v *bundleVerifier) endpointIndexed(ci *CaptureIndex, sel Selection) bool {
	if sel.Endpoint == "" {
		return true
	}
	if e, err := ParseEndpoint(sel.Endpoint); err != nil || e != sel.Endpoint || sel.Host != "" {
		v.fail(FileManifest, "selection: endpoint %q is not one Telltale writes, or comes with a host", sel.Endpoint)
		return false
	}
	if ci.Format == IndexFormatV1 {
		v.rep.Anchors.Completeness = "not proven: the checkpoint's capture index has no endpoints (signed by an older Telltale); the bundle may leave out captures of its endpoint"
		return false
	}
	return true
}

// readIndex parses capture-index.json and checks it against the
// checkpoint: every listed host's and endpoint's hash, and the root.
func (v *bundleVerifier) readIndex() (*CaptureIndex, bool) {
	b, err := v.read(FileIndex, maxFile)
	if err != nil {
		v.fail(FileIndex, "%v: the checkpoint signs a capture index, and the bundle must carry it", err)
		return nil, false
	}
	var ci CaptureIndex
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	v3 := v.ck.IndexLeaf != nil
	if err := dec.Decode(&ci); err != nil || (ci.Format != IndexFormat && ci.Format != IndexFormatV1 && ci.Format != IndexFormatV3) ||
		(ci.Format == IndexFormatV1 && ci.Endpoints != nil) || v3 != (ci.Format == IndexFormatV3) || (!v3 && (ci.Records != nil || ci.Indexed != 0)) {
		v.fail(FileIndex, "not a capture index of this checkpoint (%v)", err)
		return nil, false
	}
	signed := v.ck.Index
	if v3 {
		signed = v.ck.IndexLeaf
	}
	if ci.TreeSize != v.ck.Size || ci.Root != *signed {
		v.fail(FileIndex, "is the index of tree size %d, root %s; the checkpoint signs tree size %d, index %s",
			ci.TreeSize, ci.Root, v.ck.Size, *signed)
		return nil, false
	}
	hosts, ok := v.hostLines(&ci)
	if !ok {
		return nil, false
	}
	endpoints, ok := v.endpointLines(&ci)
	if !ok {
		return nil, false
	}
	var got tlog.Hash
	switch ci.Format {
	case IndexFormatV3:
		text := IndexTextOf(ci.Indexed, hosts, endpoints)
		texts, ok := v.indexRecords(&ci, text)
		if !ok || !v.extended(&ci, texts) {
			return nil, false
		}
		got = indexTextHash(text)
	case IndexFormatV1:
		got = IndexRootV1(hosts)
	default:
		got = IndexRoot(hosts, endpoints)
	}
	if got != ci.Root {
		v.fail(FileIndex, "its lines hash to %s, but the checkpoint signs %s: the index was changed", got, ci.Root)
		return nil, false
	}
	return &ci, true
}

// hostLines checks the order of the host lines and each full list.
func (v *bundleVerifier) hostLines(ci *CaptureIndex) ([]IndexHost, bool) {
	lines := make([]IndexHost, len(ci.Hosts))
	for i, h := range ci.Hosts {
		lines[i] = h.IndexHost
		if i > 0 && ci.Hosts[i-1].Host >= h.Host {
			v.fail(FileIndex, "hosts are not sorted and unique at %q", h.Host)
			return nil, false
		}
		if h.Seqs != nil && !v.list(ci, kindHost, h.Host, h.Count, h.Hash, h.Seqs, h.Times) {
			return nil, false
		}
	}
	return lines, true
}

// endpointLines checks the order of the endpoint lines and each full list.
func (v *bundleVerifier) endpointLines(ci *CaptureIndex) ([]IndexEndpoint, bool) {
	lines := make([]IndexEndpoint, len(ci.Endpoints))
	for i, e := range ci.Endpoints {
		lines[i] = e.IndexEndpoint
		if i > 0 && ci.Endpoints[i-1].Endpoint >= e.Endpoint {
			v.fail(FileIndex, "endpoints are not sorted and unique at %q", e.Endpoint)
			return nil, false
		}
		if e.Seqs != nil && !v.list(ci, kindEndpoint, e.Endpoint, e.Count, e.Hash, e.Seqs, e.Times) {
			return nil, false
		}
	}
	return lines, true
}

// list checks one host's or endpoint's full list against its line.
func (v *bundleVerifier) list(ci *CaptureIndex, kind, key string, count uint64, hash string, seqs []uint64, times []int64) bool {
	size := ci.covered()
	n := len(seqs)
	if len(times) != n || uint64(n) != count {
		v.fail(FileIndex, "%s %q: %d seqs and %d times for a count of %d", kind, key, n, len(times), count)
		return false
	}
	for i, s := range seqs {
		if s == 0 || s > size || (i > 0 && s <= seqs[i-1]) {
			v.fail(FileIndex, "%s %q: seq %d out of order or outside the tree", kind, key, s)
			return false
		}
	}
	got := listHash(kind, key, seqs, times)
	if ci.Format == IndexFormatV3 {
		got = hexHash(ListRoot(seqs, times))
	}
	if got != hash {
		v.fail(FileIndex, "%s %q: its captures hash to %s, but its line says %s: the list was changed", kind, key, got, hash)
		return false
	}
	return true
}
