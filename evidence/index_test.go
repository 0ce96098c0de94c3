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
	if err != nil || ck.Index == nil {
		t.Fatalf("checkpoint: %v, index %v; want an index line", err, ck.Index)
	}
	// By hand: 6 exchanges over 3 hosts, requests at seqs 1, 3, 5, ...
	x := NewIndex()
	caps, _ := st.List(store.Query{})
	for _, c := range caps {
		r, _ := st.Record(c.Leaves[0] + 1)
		x.Add(strings.ToUpper(r.Host), r.Seq, r.Time.UnixNano())
		x.AddEndpoint(EndpointOf(r.Head.Method, r.Head.URL), r.Seq, r.Time.UnixNano())
	}
	if hosts := x.Hosts(); len(hosts) != 3 || hosts[0].Host != "api.cloud.com" || hosts[0].Count != 2 || x.Root() != *ck.Index {
		t.Errorf("index: got %+v root %s, signed %s", hosts, x.Root(), *ck.Index)
	}
	again, err := ParseCheckpoint(string(ck.Body()))
	if err != nil || *again.Index != *ck.Index {
		t.Errorf("round trip: %v", err)
	}
	for _, bad := range []string{"index x\n", "index " + tlog.Hash{}.String() + " \n", "size 1\n"} {
		body := strings.TrimSuffix(string(ck.Body()), "index "+ck.Index.String()+"\n") + bad
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
	rep, _ := Verify(st, VerifyOptions{Verifier: k.verifier(t)})
	if len(rep.Failures) != 1 || rep.Failures[0].Checkpoint != 2 || !strings.Contains(rep.Failures[0].Msg, "capture index") {
		t.Errorf("an index without capture 1: got %v, want checkpoint 2's index named", findingStrings(rep.Failures))
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
			ci.Hosts[i].Hash = HostHash(h.Host, h.Seqs[1:], h.Times[1:])
		}
	}
	both := maps.Clone(dropped)
	both[FileIndex], _ = json.Marshal(ci)
	rep = verifyBundle(t, resign(t, k, names, both), k.vkey)
	hasFinding(t, rep.Failures, "capture-index.json: its lines hash to "+IndexRoot(hostLines(ci), endpointLines(ci)).String()+
		", but the checkpoint signs "+ci.Root.String()+": the index was changed")
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
