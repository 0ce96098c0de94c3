package evidence

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/testtool"
	"github.com/telltale/telltale/store"
)

const uploadEndpoint = "POST cis.citrix.com/api/upload"

// newEndpoints is a store whose host cis.citrix.com has several
// endpoints, a tunnel and a denied connection, checkpointed, and one more
// upload after the checkpoint.
func newEndpoints(t *testing.T) (*store.Store, testKey) {
	t.Helper()
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newSeededKey(t, "telltale/endpoints", 2)
	add := func(host, method, url string) {
		req := appendRecord(t, st, request(host, method, url, "Content-Type", "application/json"), []byte(`{"n":1}`))
		appendRecord(t, st, response(req, 200), []byte(`{"ok":true}`))
	}
	add("cis.citrix.com", "POST", "https://cis.citrix.com/api/upload?n=1")
	add("cis.citrix.com", "GET", "https://cis.citrix.com/api/upload")
	add("cis.citrix.com", "POST", "https://cis.citrix.com/api/other")
	appendRecord(t, st, &store.Record{Kind: store.KindTunnel, Client: "127.0.0.1:1", Host: "cis.citrix.com", Port: "443",
		Head: &store.Head{Method: "CONNECT", URL: "cis.citrix.com:443"}, Duration: time.Second}, nil)
	add("cis.citrix.com", "POST", "https://CIS.citrix.com/api/upload")
	appendRecord(t, st, &store.Record{Kind: store.KindDenied, Client: "10.9.9.9:1", Host: "cis.citrix.com", Port: "443",
		Error: "client not allowed", Head: &store.Head{Method: "POST", URL: "https://cis.citrix.com/api/upload", Proto: "HTTP/1.1"}}, nil)
	add("las.cloud.com", "POST", "https://las.cloud.com/api/upload")
	add("cis.citrix.com", "POST", "https://cis.citrix.com/api/upload?n=3")
	signTree(t, st, k)
	add("cis.citrix.com", "POST", "https://cis.citrix.com/api/upload?n=4")
	return st, k
}

func TestBundle_EndpointExportProvenComplete(t *testing.T) {
	st, k := newEndpoints(t)
	caps, _ := st.List(store.Query{Host: "cis.citrix.com"})
	for _, c := range []struct {
		sel   Selection
		count int
		what  string
	}{
		{Selection{Endpoint: "POST CIS.citrix.com /api/upload?x=1"}, 3, "endpoint " + uploadEndpoint},
		{Selection{Endpoint: "POST https://cis.citrix.com/api/upload", Redact: true}, 3, "endpoint " + uploadEndpoint},
		{Selection{Endpoint: uploadEndpoint, Since: caps[1].Time}, 2, "endpoint " + uploadEndpoint + " from " + caps[1].Time},
		{Selection{Endpoint: "GET cis.citrix.com/api/upload"}, 1, "endpoint GET cis.citrix.com/api/upload"},
		{Selection{Endpoint: "CONNECT cis.citrix.com:443"}, 0, "endpoint CONNECT cis.citrix.com:443"},
	} {
		rep := verifyBundle(t, export(t, st, k, c.sel), k.vkey)
		if !rep.OK() {
			t.Fatalf("%+v: %v", c.sel, findingStrings(rep.Failures))
		}
		want := "every capture of " + c.what + " in the log up to tree size 14: " + itoa(c.count) + ", all in this bundle"
		if rep.Captures != c.count || !strings.HasPrefix(rep.Anchors.Completeness, want) {
			t.Errorf("%+v: %d captures, completeness %q; want %d, %q", c.sel, rep.Captures, rep.Anchors.Completeness, c.count, want)
		}
	}
	for _, bad := range []Selection{{Endpoint: "cis.citrix.com/api/upload"}, {Endpoint: uploadEndpoint, Host: "cis.citrix.com"},
		{Endpoint: "POST cis.citrix.com /api/{id}"}} {
		if _, _, err := Export(&strings.Builder{}, st, ExportOptions{Selection: bad, Signer: k.signer, Key: k.vkey, TempDir: t.TempDir()}); err == nil ||
			!strings.Contains(err.Error(), "endpoint") {
			t.Errorf("%+v: got %v, want an error about the endpoint", bad, err)
		}
	}
}

// TestBundle_EndpointIndexCatchesALeftOutCapture: the key holder drops a
// capture from an --endpoint bundle, then from its index list too, and
// re-signs the bundle; the index the checkpoint signs still shows it.
func TestBundle_EndpointIndexCatchesALeftOutCapture(t *testing.T) {
	st, k := newEndpoints(t)
	names, files := unzip(t, export(t, st, k, Selection{Endpoint: uploadEndpoint}))
	lines := strings.SplitAfter(string(files[FileCaptures]), "\n")
	var first Line
	json.Unmarshal([]byte(lines[0]), &first)

	dropped := maps.Clone(files)
	dropped[FileCaptures] = []byte(strings.Join(lines[1:], ""))
	rep := verifyBundle(t, resign(t, k, names, dropped), k.vkey)
	hasFinding(t, rep.Failures, "capture-index.json: the signed capture index lists captures of the selection that the bundle leaves out: "+first.ID)

	var ci CaptureIndex
	json.Unmarshal(files[FileIndex], &ci)
	for i, e := range ci.Endpoints {
		if e.Endpoint == uploadEndpoint {
			ci.Endpoints[i].Seqs, ci.Endpoints[i].Times, ci.Endpoints[i].Count = e.Seqs[1:], e.Times[1:], e.Count-1
			ci.Endpoints[i].Hash = hexHash(ListRoot(e.Seqs[1:], e.Times[1:]))
		}
	}
	both := maps.Clone(dropped)
	both[FileIndex], _ = json.Marshal(ci)
	rep = verifyBundle(t, resign(t, k, names, both), k.vkey)
	hasFinding(t, rep.Failures, "capture-index.json: does not carry the index record the checkpoint ends with (record 15), with the text its lines give")

	// A capture of another endpoint of the same host is outside the selection.
	var other CaptureIndex
	json.Unmarshal(files[FileIndex], &other)
	_, all := unzip(t, export(t, st, k, Selection{Host: "cis.citrix.com"}))
	for _, l := range strings.SplitAfter(string(all[FileCaptures]), "\n") {
		if strings.Contains(l, `"method":"GET"`) {
			extra := maps.Clone(files)
			extra[FileCaptures] = append(extra[FileCaptures], l...)
			rep = verifyBundle(t, resign(t, k, names, extra), k.vkey)
			if rep.OK() || !strings.Contains(strings.Join(findingStrings(rep.Failures), "\n"), `its endpoint is "GET cis.citrix.com/api/upload"`) {
				t.Errorf("a GET in a POST bundle: %v", findingStrings(rep.Failures))
			}
			return
		}
	}
	t.Fatal("no GET capture to add")
}

// TestVerify_EndpointIndexLies: a checkpoint whose hosts are right but
// whose endpoint list leaves a capture out fails the store's verify, the
// honest one after it does not; one
// signed with the older host-only index still verifies, and proves a
// host bundle but not an endpoint bundle complete.
func TestVerify_EndpointIndexLies(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/index")
	for i := range 6 {
		exchange(t, st, i)
	}
	size, _ := st.Size()
	root, _ := st.TreeHash(size)
	honest, lie := NewIndex(), NewIndex()
	caps, _ := st.List(store.Query{})
	for i, c := range caps {
		r, _ := st.Record(c.Leaves[0] + 1)
		for _, x := range []*Index{honest, lie} {
			x.Add(r.Host, r.Seq, store.IndexNanos(r.Time))
			if x == honest || i != 2 {
				x.AddEndpoint(EndpointOf(r.Head.Method, r.Head.URL), r.Seq, store.IndexNanos(r.Time))
			}
		}
	}
	now := time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC)
	for i, idx := range []Checkpoint{{Index: ptr(honest.RootV1())}, {Index: ptr(lie.Root())}, {Index: ptr(honest.Root())}} {
		idx.Origin, idx.Size, idx.Root, idx.Time = k.signer.Name(), size, root, now.Add(time.Duration(i)*time.Minute)
		msg, err := Sign(idx, k.signer)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AppendCheckpoint(size, msg); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if rep, _ := Verify(st, VerifyOptions{Verifier: k.verifier(t)}); !rep.OK() {
				t.Fatalf("a checkpoint with a host-only index: %v", findingStrings(rep.Failures))
			}
			checkV1Bundles(t, st, k, caps[0].Host)
		}
	}
	// Second and third statements of one tree size are forks, whatever
	// they say.
	rep, _ := Verify(st, VerifyOptions{Verifier: k.verifier(t)})
	if len(rep.Failures) != 2 || rep.Failures[0].Checkpoint != 2 || !strings.Contains(rep.Failures[0].Msg, "FORKED: two checkpoints of tree size") {
		t.Errorf("an endpoint list without capture 3: got %v, want checkpoints 2 and 3 FORKED", findingStrings(rep.Failures))
	}
}

// checkV1Bundles exports from a checkpoint with a host-only index.
func checkV1Bundles(t *testing.T, st *store.Store, k testKey, host string) {
	t.Helper()
	rep := verifyBundle(t, export(t, st, k, Selection{Host: host}), k.vkey)
	if !rep.OK() || !strings.HasPrefix(rep.Anchors.Completeness, "every capture of host "+host) {
		t.Errorf("host bundle of a v1 index: %v, completeness %q", findingStrings(rep.Failures), rep.Anchors.Completeness)
	}
	rep = verifyBundle(t, export(t, st, k, Selection{Endpoint: "POST " + host + "/api/v1/upload"}), k.vkey)
	if !rep.OK() || rep.Captures != 2 || !strings.HasPrefix(rep.Anchors.Completeness, "not proven: the checkpoint's capture index has no endpoints") {
		t.Errorf("endpoint bundle of a v1 index: %v, %d captures, completeness %q", findingStrings(rep.Failures), rep.Captures, rep.Anchors.Completeness)
	}
}

func ptr[T any](v T) *T { return &v }

// TestReadme_EndpointCompletenessCommandWorks runs README.txt's check by
// hand in an unzipped --endpoint bundle, whole and with a capture left out.
func TestReadme_EndpointCompletenessCommandWorks(t *testing.T) {
	testtool.Need(t, "bash", "python3")
	st, k := newEndpoints(t)
	names, files := unzip(t, export(t, st, k, Selection{Endpoint: uploadEndpoint}))
	if !strings.Contains(string(files[FileReadme]), "An endpoint is a request's method") {
		t.Error("README.txt does not say what an endpoint is")
	}
	work := t.TempDir()
	for _, n := range names {
		os.MkdirAll(filepath.Dir(filepath.Join(work, n)), 0o700)
		os.WriteFile(filepath.Join(work, n), files[n], 0o600)
	}
	var check string
	for _, c := range readmeCommands(string(files[FileReadme])) {
		if strings.Contains(c, "capture-index.json") {
			check = c
		}
	}
	run := func() string {
		cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", check)
		cmd.Dir = work
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	if out := run(); !strings.Contains(out, "3 captures of the selection in the signed index, all in this bundle") {
		t.Errorf("completeness check: %s", out)
	}
	lines := strings.SplitAfter(string(files[FileCaptures]), "\n")
	os.WriteFile(filepath.Join(work, FileCaptures), []byte(strings.Join(lines[1:], "")), 0o600)
	if out := run(); !strings.Contains(out, "left out") {
		t.Errorf("completeness check with a capture left out: %s", out)
	}
}

// TestIndexCache_MatchesIndexOf: the capture index extended checkpoint by
// checkpoint has the root IndexOf recomputes from every record, through
// tunnels, refusals and responses, and a smaller size (a cache over an
// older store) starts afresh.
func TestIndexCache_MatchesIndexOf(t *testing.T) {
	st, k := newEndpoints(t)
	cache := NewIndexCache(st)
	check := func(size uint64) {
		t.Helper()
		x, err := IndexOf(st, size, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cache.Root(size)
		if err != nil || got != x.Root() {
			t.Fatalf("size %d: cache root %v, %v; IndexOf %v", size, got, err, x.Root())
		}
	}
	n, _ := st.Size()
	for _, size := range []uint64{3, 3, 9, n} {
		check(size)
	}
	check(5)
	for i := range 3 {
		req := appendRecord(t, st, request("las.cloud.com", "POST", fmt.Sprintf("https://las.cloud.com/api/u%d", i)), nil)
		appendRecord(t, st, response(req, 200), nil)
	}
	cp, signed, err := cache.SignTree(k.signer, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || !signed {
		t.Fatalf("SignTree: %v, signed %v", err, signed)
	}
	c, err := Open(cp.Note, k.verifier(t))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := IndexOf(st, c.Size-1, nil)
	if c.IndexLeaf == nil || *c.IndexLeaf != indexTextHash(x.Text(c.Size-1)) {
		t.Fatalf("checkpoint of size %d signs index leaf %v, want %v", c.Size, c.IndexLeaf, indexTextHash(x.Text(c.Size-1)))
	}
	rep, err := Verify(st, VerifyOptions{Verifier: k.verifier(t)})
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, findingStrings(rep.Failures))
	}
}
