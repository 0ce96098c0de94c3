package evidence

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/internal/testtool"
	"github.com/telltale/telltale/store"
)

func TestSignTree_SignsTheCaptureIndex(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/index")
	for i := range 6 {
		exchange(t, st, i)
	}
	cp := signTree(t, st, k)
	ck, err := Open(cp.Note, k.verifier(t))
	if err != nil || ck.IndexLeaf == nil || ck.Size != 13 {
		t.Fatalf("checkpoint: %v, size %d, index leaf %v; want an index-leaf line over 12 records and their index", err, ck.Size, ck.IndexLeaf)
	}
	// By hand: 6 exchanges over 3 hosts, requests at seqs 1, 3, 5, ...
	x := NewIndex()
	caps, _ := st.List(store.Query{})
	for _, c := range caps {
		r, _ := st.Record(c.Leaves[0] + 1)
		x.Add(strings.ToUpper(r.Host), r.Seq, r.Time.UnixNano())
		x.AddEndpoint(EndpointOf(r.Head.Method, r.Head.URL), r.Seq, r.Time.UnixNano())
	}
	if hosts := x.Hosts(); len(hosts) != 3 || hosts[0].Host != "api.cloud.com" || hosts[0].Count != 2 || indexTextHash(x.Text(12)) != *ck.IndexLeaf {
		t.Errorf("index: got %+v text %q, signed %s", hosts, x.Text(12), *ck.IndexLeaf)
	}
	rec, _ := st.Record(13)
	if text := mustBody(t, st, rec.Body.SHA256); rec.Kind != store.KindIndex || string(text) != string(x.Text(12)) {
		t.Errorf("record 13: %s %q, want the index record of %q", rec.Kind, text, x.Text(12))
	}
	again, err := ParseCheckpoint(string(ck.Body()))
	if err != nil || again.IndexLeaf == nil || *again.IndexLeaf != *ck.IndexLeaf || again.Index != nil {
		t.Errorf("round trip: %v", err)
	}
	for _, bad := range []string{"index-leaf x\n", "index-leaf " + tlog.Hash{}.String() + " \n", "index-leaf\n", "size 1\n"} {
		body := strings.TrimSuffix(string(ck.Body()), "index-leaf "+ck.IndexLeaf.String()+"\n") + bad
		if _, err := ParseCheckpoint(body); err == nil {
			t.Errorf("ParseCheckpoint accepted a bad index line %q", bad)
		}
	}
}

// TestVerify_IndexLies: the key holder signs an index that leaves a
// capture out (and an old-style checkpoint without an index); Verify
// recomputes the index from the records and names the checkpoint.
func TestVerify_IndexLies(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/index")
	for i := range 6 {
		exchange(t, st, i)
	}
	size, _ := st.Size()
	root, _ := st.TreeHash(size)
	now := time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC)
	old, err := Sign(Checkpoint{Origin: k.signer.Name(), Size: size, Root: root, Time: now}, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendCheckpoint(size, old); err != nil {
		t.Fatal(err)
	}
	if rep, _ := Verify(st, VerifyOptions{Verifier: k.verifier(t)}); !rep.OK() {
		t.Fatalf("a checkpoint without an index line: %v", findingStrings(rep.Failures))
	}
	x := NewIndex()
	caps, _ := st.List(store.Query{})
	for _, c := range caps[1:] { // capture 1 left out
		r, _ := st.Record(c.Leaves[0] + 1)
		x.Add(r.Host, r.Seq, store.IndexNanos(r.Time))
		x.AddEndpoint(EndpointOf(r.Head.Method, r.Head.URL), r.Seq, store.IndexNanos(r.Time))
	}
	idx := x.Root()
	lie, err := Sign(Checkpoint{Origin: k.signer.Name(), Size: size, Root: root, Time: now.Add(time.Minute), Index: &idx}, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendCheckpoint(size, lie); err != nil {
		t.Fatal(err)
	}
	// A second statement of one tree size is a fork, whatever it says.
	rep, _ := Verify(st, VerifyOptions{Verifier: k.verifier(t)})
	if len(rep.Failures) != 1 || rep.Failures[0].Checkpoint != 2 || !strings.Contains(rep.Failures[0].Msg, "FORKED: two checkpoints of tree size") {
		t.Errorf("an index without capture 1: got %v, want checkpoint 2 FORKED", findingStrings(rep.Failures))
	}
}

func TestBundle_FilteredExportProvenComplete(t *testing.T) {
	dir, k := bigFixture(t)
	st := mustOpen(t, dir, store.Options{ReadOnly: true})
	caps, _ := st.List(store.Query{Host: "cis.citrix.com"})
	since, until := caps[100].Time, caps[200].Time
	for _, sel := range []Selection{
		{Host: "CIS.citrix.com"},
		{Host: "cis.citrix.com", Since: since, Until: until},
		{Since: since},
		{Host: "nowhere.example"},
	} {
		rep := verifyBundle(t, export(t, st, k, sel), k.vkey)
		if !rep.OK() {
			t.Fatalf("%+v: %v", sel, findingStrings(rep.Failures))
		}
		c := rep.Anchors.Completeness
		if !strings.HasPrefix(c, "every capture") || !strings.Contains(c, "all in this bundle") ||
			!strings.Contains(c, ": "+itoa(rep.Captures)+", all") {
			t.Errorf("%+v: %d captures, completeness %q", sel, rep.Captures, c)
		}
	}
	rep := verifyBundle(t, export(t, st, k, Selection{IDs: []string{caps[0].ID}}), k.vkey)
	if !rep.OK() || !strings.HasPrefix(rep.Anchors.Completeness, "not claimed") {
		t.Errorf("by id: ok %v, completeness %q", rep.OK(), rep.Anchors.Completeness)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestBundle_IndexCatchesALeftOutCapture: the key holder drops a capture
// from a --host bundle, or from its index's list, and re-signs the
// bundle; the index the checkpoint signs still shows it.
func TestBundle_IndexCatchesALeftOutCapture(t *testing.T) {
	st, k := newSecrets(t)
	b := export(t, st, k, Selection{Host: "las.cloud.com"})
	names, files := unzip(t, b)
	lines := strings.SplitAfter(string(files[FileCaptures]), "\n")
	var first Line
	json.Unmarshal([]byte(lines[0]), &first)

	dropped := maps.Clone(files)
	dropped[FileCaptures] = []byte(strings.Join(lines[1:], ""))
	rep := verifyBundle(t, resign(t, k, names, dropped), k.vkey)
	hasFinding(t, rep.Failures, "capture-index.json: the signed capture index lists captures of the selection that the bundle leaves out: "+first.ID)

	var ci CaptureIndex
	json.Unmarshal(files[FileIndex], &ci)
	for i, h := range ci.Hosts {
		if h.Host == "las.cloud.com" {
			ci.Hosts[i].Seqs, ci.Hosts[i].Times, ci.Hosts[i].Count = h.Seqs[1:], h.Times[1:], h.Count-1
			ci.Hosts[i].Hash = hexHash(ListRoot(h.Seqs[1:], h.Times[1:]))
		}
	}
	both := maps.Clone(dropped)
	both[FileIndex], _ = json.Marshal(ci)
	rep = verifyBundle(t, resign(t, k, names, both), k.vkey)
	hasFinding(t, rep.Failures, "capture-index.json: does not carry the index record the checkpoint ends with (record 7), with the text its lines give")
}

func hostLines(ci CaptureIndex) []IndexHost {
	var out []IndexHost
	for _, h := range ci.Hosts {
		out = append(out, h.IndexHost)
	}
	return out
}

func endpointLines(ci CaptureIndex) []IndexEndpoint {
	var out []IndexEndpoint
	for _, e := range ci.Endpoints {
		out = append(out, e.IndexEndpoint)
	}
	return out
}

// TestReadme_CompletenessCommandWorks runs README.txt's commands in an
// unzipped --host bundle, and the completeness check on one that lacks a
// capture.
func TestReadme_CompletenessCommandWorks(t *testing.T) {
	testtool.Need(t, readmeTools...)
	st, k := newSecrets(t)
	caps, _ := st.List(store.Query{})
	names, files := unzip(t, export(t, st, k, Selection{Host: "las.cloud.com", Since: caps[0].Time}))
	work := t.TempDir()
	for _, n := range names {
		os.MkdirAll(filepath.Dir(filepath.Join(work, n)), 0o700)
		os.WriteFile(filepath.Join(work, n), files[n], 0o600)
	}
	run := func(c string) string {
		cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", c)
		cmd.Dir = work
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "FAILED: " + string(out)
		}
		return string(out)
	}
	var check string
	for _, c := range readmeCommands(string(files[FileReadme])) {
		out := run(c)
		if strings.HasPrefix(out, "FAILED") {
			t.Errorf("README command failed:\n%s\n%s", c, out)
		}
		if strings.Contains(c, "capture-index.json") {
			check = c
			if !strings.Contains(out, "captures of the selection in the signed index, all in this bundle") {
				t.Errorf("completeness check: %s", out)
			}
		}
	}
	if check == "" {
		t.Fatal("README.txt has no completeness check")
	}
	lines := strings.SplitAfter(string(files[FileCaptures]), "\n")
	os.WriteFile(filepath.Join(work, FileCaptures), []byte(strings.Join(lines[1:], "")), 0o600)
	if out := run(check); !strings.Contains(out, "left out") {
		t.Errorf("completeness check with a capture left out: %s", out)
	}
}
