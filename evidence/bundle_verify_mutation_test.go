package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// The tests in this file take each check of VerifyBundle in turn and
// feed it a bundle re-signed by the log's key (so that nothing but the
// check can catch the change), asserting the check's own message. They
// are what kills the `verify` target's mutants (scripts/mutate.sh,
// docs/testing.md).

// bundleTamper is one change to a bundle and the finding it must cause.
type bundleTamper struct {
	name string
	edit func(t *testing.T, files map[string][]byte)
	want string
}

// runTampers applies each change to a copy of files, re-signs the bundle
// with k and checks that the want finding is among the failures.
func runTampers(t *testing.T, k testKey, names []string, files map[string][]byte, cases []bundleTamper) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			changed := maps.Clone(files)
			tc.edit(t, changed)
			n := slices.Clone(names)
			for name := range changed {
				if !slices.Contains(n, name) {
					n = append(n, name)
				}
			}
			n = slices.DeleteFunc(n, func(name string) bool { _, ok := changed[name]; return !ok })
			rep := verifyBundle(t, resign(t, k, n, changed), k.vkey)
			if !rep.KeyPinned {
				t.Fatal("not checked against the pinned key")
			}
			hasFinding(t, rep.Failures, tc.want)
		})
	}
}

// editManifest rewrites manifest.json; resign then lists and signs it.
func editManifest(t *testing.T, files map[string][]byte, edit func(m *Manifest)) {
	t.Helper()
	var m Manifest
	if err := json.Unmarshal(files[FileManifest], &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	b, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	files[FileManifest] = b
}

// editLines rewrites captures.jsonl as a list of lines (without "\n").
func editLines(files map[string][]byte, edit func(lines [][]byte) [][]byte) {
	lines := bytes.Split(bytes.TrimSuffix(files[FileCaptures], []byte("\n")), []byte("\n"))
	lines = edit(slices.Clone(lines))
	files[FileCaptures] = append(bytes.Join(lines, []byte("\n")), '\n')
}

// dropFile removes a file from the zip and from the manifest's list.
func dropFile(t *testing.T, files map[string][]byte, name string) {
	t.Helper()
	delete(files, name)
	editManifest(t, files, func(m *Manifest) {
		m.Files = slices.DeleteFunc(m.Files, func(f FileInfo) bool { return f.Name == name })
	})
}

// addFile adds a file to the zip and to the manifest's list.
func addFile(t *testing.T, files map[string][]byte, name string, data []byte) {
	t.Helper()
	files[name] = data
	editManifest(t, files, func(m *Manifest) { m.Files = append(m.Files, FileInfo{Name: name}) })
}

func entryOf(t *testing.T, files map[string][]byte, n, rec int) Entry {
	t.Helper()
	var e Entry
	editEntry(t, maps.Clone(files), n, rec, func(_ *Line, got *Entry) { e = *got })
	return e
}

func leafOf(t *testing.T, e Entry) store.Leaf {
	t.Helper()
	l, err := store.ParseLeaf([]byte(e.Leaf))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestVerifyBundle_EntryChecks: a record's leaf, seq, leaf index, capture,
// meta and withheld parts must agree with each other and the checkpoint.
func TestVerifyBundle_EntryChecks(t *testing.T) {
	st, k := newSecrets(t)
	names, files := unzip(t, export(t, st, k, Selection{Redact: true}))
	if rep := verifyBundle(t, rezip(t, names, files), k.vkey); !rep.OK() {
		t.Fatalf("untouched: %v", findingStrings(rep.Failures))
	}
	req := entryOf(t, files, 0, 0)
	head := leafOf(t, req).Head
	const at = "captures.jsonl line 1, capture 1, record "
	first := opened(t, k, mustCheckpoints(t, st)[0])
	runTampers(t, k, names, files, []bundleTamper{
		{"leaf unparseable", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 1, func(_ *Line, e *Entry) { e.Leaf = "telltale-leaf/v9\n" })
		}, at + "2: " + mustErr(store.ParseLeaf([]byte("telltale-leaf/v9\n")))},
		{"seq", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 1, func(_ *Line, e *Entry) { e.Seq = 3 })
		}, at + "3: the leaf is record 2 of capture 1, the entry says record 3 (leaf index 1)"},
		{"leaf index", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 1, func(_ *Line, e *Entry) { e.LeafIndex = 2 })
		}, at + "2: the leaf is record 2 of capture 1, the entry says record 2 (leaf index 2)"},
		{"seq and leaf index together", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 1, func(_ *Line, e *Entry) { e.Seq, e.LeafIndex = 3, 2 })
		}, at + "3: the leaf is record 2 of capture 1, the entry says record 3 (leaf index 2)"},
		{"capture", func(t *testing.T, f map[string][]byte) {
			// Capture 3's response, moved into capture 1's line.
			resp := entryOf(t, f, 1, 1)
			editEntry(t, f, 0, 1, func(_ *Line, e *Entry) { *e = resp })
		}, at + "4: the leaf is record 4 of capture 3, the entry says record 4 (leaf index 3)"},
		{"meta", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 1, func(_ *Line, e *Entry) { e.Meta = strings.Replace(e.Meta, `"seq":2`, `"seq":2 `, 1) })
		}, fmt.Sprintf(at+"2: meta: SHA-256 %s, but the leaf says %s",
			sumHex([]byte(strings.Replace(entryOf(t, files, 0, 1).Meta, `"seq":2`, `"seq":2 `, 1))), leafOf(t, entryOf(t, files, 0, 1)).Meta)},
		{"a part the leaf has none of", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) {
				e.Withheld = append(e.Withheld, Withheld{Capture: "1", Seq: 1, Part: "request trailer", SHA256: head, Reason: ReasonRedacted})
			})
		}, at + `1: withholds "request trailer", which the leaf has no part for`},
		{"a part withheld twice", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Withheld = append(e.Withheld, e.Withheld[0]) })
		}, at + `1: withholds "request head", which the leaf has no part for`},
		{"a withheld part's hash", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Withheld[0].SHA256 = sumHex([]byte("x")) })
		}, fmt.Sprintf(at+"1: withheld request head: SHA-256 %s, but the leaf says %s", sumHex([]byte("x")), head)},
		{"a withheld part's capture", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Withheld[0].Capture = "3" })
		}, at + "1: withheld request head names capture 3 record 1"},
		{"a withheld part's seq", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Withheld[0].Seq = 2 })
		}, at + "1: withheld request head names capture 1 record 2"},
		{"a leaf past the checkpoint", func(t *testing.T, f map[string][]byte) {
			// The bundle's checkpoint replaced by the first one, of one
			// record: record 2 is beyond it. (Index 1 = size 1: at the
			// boundary.)
			var cl CheckpointLine
			if err := json.Unmarshal(bytes.SplitN(f[FileCheckpoints], []byte("\n"), 2)[0], &cl); err != nil {
				t.Fatal(err)
			}
			f[FileCheckpoint] = []byte(cl.Note)
			f[FileCheckpoints] = nil
			editManifest(t, f, func(m *Manifest) {
				m.Checkpoint.TreeSize, m.Checkpoint.RootHash = first.Size, first.Root
				m.Checkpoint.Time = first.Time.UTC().Format(store.TimeFormat)
			})
		}, at + "2: leaf index 1 is beyond the checkpoint's tree size 1"},
	})
}

// opened is a stored checkpoint as its note signs it.
func opened(t *testing.T, k testKey, c store.Checkpoint) Checkpoint {
	t.Helper()
	ck, err := openCheckpoint(c.Note, k.verifier(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

func mustErr[T any](_ T, err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestVerifyBundle_LineChecks: captures.jsonl's lines, the capture views
// they give, and the manifest's account of them.
func TestVerifyBundle_LineChecks(t *testing.T) {
	st, k := newSecrets(t)
	names, files := unzip(t, export(t, st, k, Selection{Redact: true}))
	var first Line
	editEntry(t, maps.Clone(files), 0, 0, func(l *Line, _ *Entry) { first = *l })
	runTampers(t, k, names, files, []bundleTamper{
		{"two JSON values on a line", func(t *testing.T, f map[string][]byte) {
			editLines(f, func(ls [][]byte) [][]byte { ls[2] = append(ls[2], []byte(` {}`)...); return ls })
		}, "captures.jsonl line 3: not a capture line: more than one JSON value on the line"},
		{"an unknown field", func(t *testing.T, f map[string][]byte) {
			editLines(f, func(ls [][]byte) [][]byte { ls[2] = append([]byte(`{"x":1,`), ls[2][1:]...); return ls })
		}, `captures.jsonl line 3: not a capture line: json: unknown field "x"`},
		{"a capture twice", func(t *testing.T, f map[string][]byte) {
			editLines(f, func(ls [][]byte) [][]byte { return append(ls, ls[2]) })
		}, "captures.jsonl line 4: capture 5 appears twice"},
		{"an id that is not a number", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(l *Line, _ *Entry) { l.ID = "01" })
		}, `captures.jsonl line 1: capture id "01" is not a number`},
		{"a line that opens with another record", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 1, 0, func(l *Line, _ *Entry) { l.ID = "2" })
		}, "captures.jsonl line 2, capture 2: opens with record 3, not record 2"},
		{"a capture view that says something else", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(l *Line, _ *Entry) { l.Capture.Host = "evil.example" })
		}, "captures.jsonl line 1, capture 1: the capture view is not what its records say"},
		{"the manifest's counts", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) { m.Captures++ })
		}, "manifest.json: says 4 captures and 6 records, captures.jsonl holds 3 and 6"},
		{"the manifest's record count", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) { m.Records-- })
		}, "manifest.json: says 3 captures and 5 records, captures.jsonl holds 3 and 6"},
		{"the manifest's withheld list", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) { m.Withheld = m.Withheld[1:] })
		}, "manifest.json: its withheld list is not the one captures.jsonl gives"},
		{"nothing withheld in the manifest", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) { m.Withheld = nil })
		}, "manifest.json: its withheld list is not the one captures.jsonl gives"},
		{"a body file no record names", func(t *testing.T, f map[string][]byte) {
			b := []byte("unnamed")
			addFile(t, f, DirBodies+sumHex(b), b)
		}, DirBodies + sumHex([]byte("unnamed")) + ": no record names it"},
		{"a redacted file no record names", func(t *testing.T, f map[string][]byte) {
			b := []byte("unnamed")
			addFile(t, f, DirRedacted+sumHex(b), b)
		}, DirRedacted + sumHex([]byte("unnamed")) + ": no record names it"},
		{"the whole log with a record missing", func(t *testing.T, f map[string][]byte) {
			editLines(f, func(ls [][]byte) [][]byte { return ls[:2] })
		}, "captures.jsonl: the bundle selects the whole log, but records 5, 6 are missing or repeated"},
		{"the whole log with a record repeated", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 2, 0, func(l *Line, _ *Entry) { l.Records = append(l.Records, l.Records[1]) })
		}, "captures.jsonl: the bundle selects the whole log, but records 6 are missing or repeated"},
	})
	if first.ID != "1" {
		t.Fatalf("first line: capture %s, want 1", first.ID)
	}
}

// TestVerifyBundle_WholeLogListsTenMissing: a bundle of the whole log
// that lacks many records names the first ten.
func TestVerifyBundle_WholeLogListsTenMissing(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/whole")
	for i := range 8 {
		exchange(t, st, i)
	}
	signTree(t, st, k)
	names, files := unzip(t, export(t, st, k, Selection{}))
	runTampers(t, k, names, files, []bundleTamper{
		{"six captures dropped", func(t *testing.T, f map[string][]byte) {
			editLines(f, func(ls [][]byte) [][]byte { return ls[6:] })
		}, "captures.jsonl: the bundle selects the whole log, but records 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 are missing or repeated"},
	})
	if rep := verifyBundle(t, rezip(t, names, files), k.vkey); !rep.OK() || !rep.Complete {
		t.Errorf("untouched: ok %v, complete %v: %v", rep.OK(), rep.Complete, findingStrings(rep.Failures))
	}
}

// TestVerifyBundle_SelectionChecks: each capture must be one the signed
// selection holds; the bounds of a time selection are [since, until).
func TestVerifyBundle_SelectionChecks(t *testing.T) {
	st, k := newSecrets(t)
	caps, err := st.List(store.Query{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	times := map[string]string{}
	for _, c := range caps {
		times[c.ID] = c.Time
	}
	t3, err := time.Parse(time.RFC3339Nano, times["3"])
	if err != nil {
		t.Fatal(err)
	}
	// Capture 3 alone, by every kind of selection.
	for _, sel := range []Selection{{IDs: []string{"3"}}, {Since: times["3"], Until: times["5"]},
		{Since: times["3"], Until: t3.Add(time.Nanosecond).Format(time.RFC3339Nano)}} {
		b := export(t, st, k, sel)
		rep := verifyBundle(t, b, k.vkey)
		if !rep.OK() || rep.Captures != 1 || rep.Complete {
			t.Errorf("selection %+v: ok %v, %d captures, complete %v: %v", sel, rep.OK(), rep.Captures, rep.Complete, findingStrings(rep.Failures))
		}
	}
	names, files := unzip(t, export(t, st, k, Selection{IDs: []string{"1", "3"}}))
	const at = "captures.jsonl line 2: capture 3 is outside the bundle's selection: "
	runTampers(t, k, names, files, []bundleTamper{
		{"ids", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) { m.Selection.IDs = []string{"1"} })
		}, at + "its id is not among the selected ids"},
		{"host", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) { m.Selection.IDs, m.Selection.Host = nil, "TRUST.citrixworkspacesapi.net" })
		}, at + `its host is "las.cloud.com", not "TRUST.citrixworkspacesapi.net"`},
		{"endpoint", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) {
				m.Selection.IDs, m.Selection.Endpoint = nil, EndpointOf("POST", "https://trust.citrixworkspacesapi.net/root/tokens/clients")
			})
		}, at + fmt.Sprintf("its endpoint is %q, not %q", EndpointOf("POST", "https://las.cloud.com/login"),
			EndpointOf("POST", "https://trust.citrixworkspacesapi.net/root/tokens/clients"))},
		{"until is exclusive", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) { m.Selection.IDs, m.Selection.Until = nil, times["3"] })
		}, at + fmt.Sprintf("its time %s is outside  to %s", times["3"], times["3"])},
		{"since", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) {
				m.Selection.IDs, m.Selection.Since = nil, t3.Add(time.Nanosecond).Format(time.RFC3339Nano)
			})
		}, at + fmt.Sprintf("its time %s is outside %s to ", times["3"], t3.Add(time.Nanosecond).Format(time.RFC3339Nano))},
		{"a bound that does not parse", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) { m.Selection.IDs, m.Selection.Since = nil, "yesterday" })
		}, at + fmt.Sprintf("its time %s is outside yesterday to ", times["3"])},
	})
	for _, tc := range []struct {
		at, since, until string
		out              bool
	}{
		{times["3"], "", "", false},
		{"not a time", "", "", false},
		{"not a time", times["1"], "", true},
		{"not a time", "", times["1"], true},
		{times["3"], times["3"], "", false},
		{times["3"], "", times["3"], true},
	} {
		if got := outside(tc.at, tc.since, tc.until); got != tc.out {
			t.Errorf("outside(%q, %q, %q): got %v, want %v", tc.at, tc.since, tc.until, got, tc.out)
		}
	}
}

// TestVerifyBundle_BodyChecks: a body file must be the leaf's stored
// bytes, listed and present; none for a record without bytes; never both
// shipped and withheld.
func TestVerifyBundle_BodyChecks(t *testing.T) {
	st, k := newSecrets(t)
	names, files := unzip(t, export(t, st, k, Selection{}))
	req := entryOf(t, files, 2, 0) // capture 5's request, a plain body
	l := leafOf(t, req)
	if req.Body != DirBodies+l.StoredSHA256 || l.Sealed != "" {
		t.Fatalf("capture 5's request: body %q, leaf %+v; want an unsealed body file", req.Body, l)
	}
	other := entryOf(t, files, 2, 1).Body
	const at = "captures.jsonl line 3, capture 5, record 5: "
	runTampers(t, k, names, files, []bundleTamper{
		{"another record's body", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 2, 0, func(_ *Line, e *Entry) { e.Body = other })
		}, at + fmt.Sprintf("body: names %s, but the leaf's stored bytes are %s", other, req.Body)},
		{"the body file not in the bundle", func(t *testing.T, f map[string][]byte) {
			dropFile(t, f, req.Body)
		}, at + fmt.Sprintf("body: %s is not in the bundle", req.Body)},
		{"the body file's bytes changed", func(t *testing.T, f map[string][]byte) {
			f[req.Body] = append(bytes.Clone(f[req.Body]), ' ')
		}, at + fmt.Sprintf("body: the manifest lists %s with SHA-256 %s", req.Body, sumHex(append(bytes.Clone(files[req.Body]), ' ')))},
		{"a seal for an unsealed body", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 2, 0, func(_ *Line, e *Entry) { e.Seal = &EntrySeal{Text: "{}"} })
		}, at + "body: a seal, but the leaf does not seal its body"},
		{"shipped and withheld", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 2, 0, func(_ *Line, e *Entry) {
				e.Withheld = []Withheld{{Capture: "5", Seq: 5, Part: "request body", SHA256: l.StoredSHA256, Reason: ReasonPruned}}
			})
		}, at + "body: both shipped and withheld"},
		{"neither shipped nor withheld", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 2, 0, func(_ *Line, e *Entry) { e.Body = "" })
			dropFile(t, f, req.Body)
		}, at + "body: missing, and not listed as withheld"},
		{"withheld as redacted without a copy", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 2, 0, func(_ *Line, e *Entry) {
				e.Body = ""
				e.Withheld = []Withheld{{Capture: "5", Seq: 5, Part: "request body", SHA256: l.StoredSHA256, Reason: ReasonRedacted}}
			})
			dropFile(t, f, req.Body)
		}, at + "body: withheld as redacted, without the redacted copy"},
		{"a redacted copy not in the bundle", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 2, 0, func(_ *Line, e *Entry) {
				e.Body, e.BodyRedacted = "", DirRedacted+l.StoredSHA256
				e.Withheld = []Withheld{{Capture: "5", Seq: 5, Part: "request body", SHA256: l.StoredSHA256, Reason: ReasonPruned}}
			})
			dropFile(t, f, req.Body)
		}, at + fmt.Sprintf("body: the redacted copy %s is not in the bundle", DirRedacted+l.StoredSHA256)},
	})
	// A record that stores no bytes has no body file.
	names, files = unzip(t, export(t, st, k, Selection{Redact: true}))
	nobody := -1
	for i := range 2 {
		if leafOf(t, entryOf(t, files, 2, i)).StoredSHA256 == "" {
			nobody = i
		}
	}
	if nobody < 0 {
		// The response of the pending request in fill stores no bytes;
		// newSecrets has none, so make one.
		st2 := mustOpen(t, t.TempDir(), storeOptions())
		appendRecord(t, st2, request("las.cloud.com", "GET", "https://las.cloud.com/plain"), nil)
		signTree(t, st2, k)
		names, files = unzip(t, export(t, st2, k, Selection{}))
		body := []byte("x")
		runTampers(t, k, names, files, []bundleTamper{
			{"a body file for no bytes", func(t *testing.T, f map[string][]byte) {
				editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Body = DirBodies + sumHex(body) })
				addFile(t, f, DirBodies+sumHex(body), body)
			}, "captures.jsonl line 1, capture 1, record 1: body: a body file for a record the leaf stores no bytes of"},
			{"a redacted copy for no bytes", func(t *testing.T, f map[string][]byte) {
				editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.BodyRedacted = DirRedacted + sumHex(body) })
				addFile(t, f, DirRedacted+sumHex(body), body)
			}, "captures.jsonl line 1, capture 1, record 1: body: a body file for a record the leaf stores no bytes of"},
		})
	}
}

// v1Bundle is the bundle of testdata/v1 made before v2 leaves, and the
// key it was signed with, to re-sign it.
func v1Bundle(t *testing.T, name string) (testKey, []string, map[string][]byte) {
	t.Helper()
	k := newSeededKey(t, "telltale/v1fixture", 1)
	if pub := strings.TrimSpace(string(must(os.ReadFile("testdata/v1/v1.pub")))); k.vkey != pub {
		t.Fatalf("the seeded key is not the fixture's: %s", k.vkey)
	}
	names, files := unzip(t, must(os.ReadFile("testdata/v1/"+name)))
	return k, names, files
}

// TestVerifyBundle_V1HeadAndBodyChecks: a v1 leaf's head is shipped
// whole, or withheld with a redacted copy; its body likewise.
func TestVerifyBundle_V1HeadAndBodyChecks(t *testing.T) {
	k, names, files := v1Bundle(t, "v1bundle-redacted.zip")
	req := entryOf(t, files, 0, 0)
	if req.HeadRedacted == nil || req.BodyRedacted == "" || len(req.Withheld) != 2 {
		t.Fatalf("the v1 fixture's first request: want its head and body withheld with redacted copies, got %+v", req)
	}
	l := leafOf(t, req)
	plain := entryOf(t, files, 1, 0)
	const at = "captures.jsonl line 1, capture 1, record 1: "
	field := "x"
	runTampers(t, k, names, files, []bundleTamper{
		{"head fields on a v1 leaf", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 1, 0, func(_ *Line, e *Entry) { e.HeadFields = []HeadField{{Kind: "method", Value: &field}} })
		}, "captures.jsonl line 2, capture 3, record 3: head: fields of a head whose leaf is v1"},
		{"a head changed", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 1, 0, func(_ *Line, e *Entry) { h := strings.Replace(*e.Head, "GET", "PUT", 1); e.Head = &h })
		}, fmt.Sprintf("captures.jsonl line 2, capture 3, record 3: head: SHA-256 %s, but the leaf says %s",
			sumHex([]byte(strings.Replace(*plain.Head, "GET", "PUT", 1))), leafOf(t, plain).Head)},
		{"a head shipped with a redacted copy", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 1, 0, func(_ *Line, e *Entry) { e.HeadRedacted = &store.Head{Method: "GET"} })
		}, "captures.jsonl line 2, capture 3, record 3: head: both shipped and withheld"},
		{"a head shipped and withheld", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 1, 0, func(_ *Line, e *Entry) {
				e.Withheld = []Withheld{{Capture: "3", Seq: 3, Part: "request head", SHA256: leafOf(t, plain).Head, Reason: ReasonPruned}}
			})
		}, "captures.jsonl line 2, capture 3, record 3: head: both shipped and withheld"},
		{"a head neither shipped nor withheld", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) {
				e.HeadRedacted = nil
				e.Withheld = slices.DeleteFunc(e.Withheld, func(w Withheld) bool { return w.Part == "request head" })
			})
		}, at + "head: missing, and not listed as withheld"},
		{"a head withheld as redacted without its copy", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.HeadRedacted = nil })
		}, at + "head: withheld as redacted, without the redacted copy"},
		{"a body neither shipped nor withheld", func(t *testing.T, f map[string][]byte) {
			copyName := req.BodyRedacted
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) {
				e.BodyRedacted = ""
				e.Withheld = slices.DeleteFunc(e.Withheld, func(w Withheld) bool { return w.Part == "request body" })
			})
			dropFile(t, f, copyName)
		}, at + "body: missing, and not listed as withheld"},
		{"a body withheld as redacted naming another copy", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) {
				for i := range e.Withheld {
					if e.Withheld[i].Part == "request body" {
						e.Withheld[i].Copy = DirRedacted + l.StoredSHA256
					}
				}
			})
		}, at + "body: withheld as redacted, without the redacted copy"},
	})
}

// TestVerifyBundle_CheckpointChecks: the manifest repeats checkpoint.txt,
// and each line of checkpoints.jsonl is a checkpoint of the log that the
// bundle's extends, no larger than it.
func TestVerifyBundle_CheckpointChecks(t *testing.T) {
	st, k := newSecrets(t)
	names, files := unzip(t, export(t, st, k, Selection{}))
	var m Manifest
	if err := json.Unmarshal(files[FileManifest], &m); err != nil {
		t.Fatal(err)
	}
	mc := m.Checkpoint
	describe := func(size uint64, root, at string) string {
		return fmt.Sprintf("manifest.json: describes checkpoint %s %d %s %s, but checkpoint.txt signs %s %d %s %s",
			m.Log.Origin, size, root, at, m.Log.Origin, mc.TreeSize, mc.RootHash, mc.Time)
	}
	// A checkpoint as large as the bundle's extends it (by no proof); a
	// later, larger one is refused.
	appendRecord(t, st, request("las.cloud.com", "GET", "https://las.cloud.com/later"), nil)
	signTree(t, st, k)
	cps := mustCheckpoints(t, st)
	later, same := cps[len(cps)-1], cps[len(cps)-2]
	if same.Size != mc.TreeSize || later.Size != mc.TreeSize+2 {
		t.Fatalf("checkpoints of size %d and %d, want %d and two more (a request, its index)", same.Size, later.Size, mc.TreeSize)
	}
	cpLine := func(c store.Checkpoint, i uint64) []byte {
		return append(must(json.Marshal(CheckpointLine{Index: i, Note: string(c.Note)})), '\n')
	}
	changed := maps.Clone(files)
	changed[FileCheckpoints] = append(bytes.Clone(files[FileCheckpoints]), cpLine(same, 2)...)
	if rep := verifyBundle(t, resign(t, k, names, changed), k.vkey); !rep.OK() || rep.Earlier != 2 {
		t.Errorf("the bundle's own checkpoint in checkpoints.jsonl: ok %v, %d earlier: %v", rep.OK(), rep.Earlier, findingStrings(rep.Failures))
	}
	// A checkpoint of the empty log (the same key signs it) needs no proof.
	// SignTree signs no empty log; Sign does, as another tool might.
	emptyRoot, _ := tlog.TreeHash(0, nil)
	emptyNote, err := Sign(Checkpoint{Origin: m.Log.Origin, Size: 0, Root: emptyRoot, Time: time.Date(2026, 4, 15, 8, 0, 0, 0, time.UTC)}, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	changed = maps.Clone(files)
	changed[FileCheckpoints] = append(cpLine(store.Checkpoint{Note: emptyNote}, 1), files[FileCheckpoints]...)
	if rep := verifyBundle(t, resign(t, k, names, changed), k.vkey); !rep.OK() || rep.Earlier != 2 {
		t.Errorf("a checkpoint of the empty log in checkpoints.jsonl: ok %v, %d earlier: %v", rep.OK(), rep.Earlier, findingStrings(rep.Failures))
	}
	var first CheckpointLine
	if err := json.Unmarshal(bytes.SplitN(files[FileCheckpoints], []byte("\n"), 2)[0], &first); err != nil || len(first.Proof) == 0 {
		t.Fatalf("checkpoints.jsonl line 1: %v, %+v; want a checkpoint with a proof", err, first)
	}
	other := newTestKey(t, "telltale/secrets")
	runTampers(t, k, names, files, []bundleTamper{
		{"the checkpoint file's name", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) { m.Checkpoint.File = "checkpoint.sig" })
		}, `manifest.json: names checkpoint file "checkpoint.sig", want "checkpoint.txt"`},
		{"the tree size", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) { m.Checkpoint.TreeSize-- })
		}, describe(mc.TreeSize-1, mc.RootHash.String(), mc.Time)},
		{"the root", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) { m.Checkpoint.RootHash[0] ^= 1 })
		}, describe(mc.TreeSize, func() string { h := mc.RootHash; h[0] ^= 1; return h.String() }(), mc.Time)},
		{"the time", func(t *testing.T, f map[string][]byte) {
			editManifest(t, f, func(m *Manifest) { m.Checkpoint.Time = "2026-04-15T10:00:00Z" })
		}, describe(mc.TreeSize, mc.RootHash.String(), "2026-04-15T10:00:00Z")},
		{"not a checkpoint line", func(t *testing.T, f map[string][]byte) {
			f[FileCheckpoints] = append(bytes.Clone(f[FileCheckpoints]), []byte("{\"index\":1,\"size\":2}\n")...)
		}, `checkpoints.jsonl line 2: not a checkpoint line: json: unknown field "size"`},
		{"a checkpoint signed by another key", func(t *testing.T, f map[string][]byte) {
			st2 := mustOpen(t, t.TempDir(), storeOptions())
			appendRecord(t, st2, request("las.cloud.com", "GET", "https://las.cloud.com/x"), nil)
			f[FileCheckpoints] = cpLine(signTree(t, st2, other), 1)
		}, fmt.Sprintf("checkpoints.jsonl line 1: checkpoint 1: not signed by key telltale/secrets+%08x but by telltale/secrets+%08x: signed by another key",
			k.signer.KeyHash(), other.signer.KeyHash())},
		{"a later checkpoint", func(t *testing.T, f map[string][]byte) {
			f[FileCheckpoints] = append(bytes.Clone(f[FileCheckpoints]), cpLine(later, 3)...)
		}, fmt.Sprintf("checkpoints.jsonl line 2: checkpoint 3 has tree size %d, beyond the bundle's %d", later.Size, mc.TreeSize)},
		{"a broken consistency proof", func(t *testing.T, f map[string][]byte) {
			bad := first
			bad.Proof = slices.Clone(first.Proof)
			bad.Proof[0][0] ^= 1
			f[FileCheckpoints] = append(must(json.Marshal(bad)), '\n')
		}, fmt.Sprintf("checkpoints.jsonl line 1: checkpoint %d (tree size %d) is not extended by the bundle's checkpoint: invalid transparency proof",
			first.Index, cps[0].Size)},
	})
}

// TestVerifyBundle_V2HeadFieldChecks: a v2 head is its fields, each in
// clear with its salt or as a commitment alone, and exactly the withheld
// ones are listed as redacted.
func TestVerifyBundle_V2HeadFieldChecks(t *testing.T) {
	st, k := newSecrets(t)
	// A response without a head: the upstream failed.
	req := appendRecord(t, st, request("las.cloud.com", "GET", "https://las.cloud.com/down"), nil)
	appendRecord(t, st, &store.Record{Kind: store.KindResponse, Capture: req, Error: "upstream down"}, nil)
	signTree(t, st, k)
	names, files := unzip(t, export(t, st, k, Selection{Redact: true}))
	if rep := verifyBundle(t, rezip(t, names, files), k.vkey); !rep.OK() {
		t.Fatalf("untouched: %v", findingStrings(rep.Failures))
	}
	e := entryOf(t, files, 0, 0)
	if l := leafOf(t, e); l.Version != 2 || len(e.HeadFields) < 2 || e.HeadFields[0].Value == nil || e.HeadFields[0].Salt == "" {
		t.Fatalf("capture 1's request: want a v2 head whose first field is shipped with its salt, got %+v", e.HeadFields)
	}
	if resp := entryOf(t, files, 3, 1); leafOf(t, resp).Head != "" || resp.HeadFields != nil {
		t.Fatalf("the failed response: want no head, got %+v", resp)
	}
	withheldField := slices.IndexFunc(e.HeadFields, func(f HeadField) bool { return f.Value == nil })
	salt := e.HeadFields[0].Salt
	v1 := "{}"
	const at = "captures.jsonl line 1, capture 1, record 1: "
	runTampers(t, k, names, files, []bundleTamper{
		{"a v1 head", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Head = &v1 })
		}, at + "head: a v1 head for a v2 leaf"},
		{"a v1 redacted head", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.HeadRedacted = &store.Head{Method: "POST"} })
		}, at + "head: a v1 head for a v2 leaf"},
		{"no fields", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.HeadFields = nil })
		}, at + "head: missing"},
		{"fields of no head", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 3, 1, func(_ *Line, r *Entry) { r.HeadFields = e.HeadFields[:1] })
		}, "captures.jsonl line 4, capture 8, record 9: head: fields of a head the leaf does not have"},
		{"a salt in upper case", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.HeadFields[0].Salt = strings.ToUpper(salt) })
		}, at + fmt.Sprintf("head field 0: salt %q is not %d bytes in lowercase hex", strings.ToUpper(salt), store.SaltSize)},
		{"a short salt", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.HeadFields[0].Salt = salt[2:] })
		}, at + fmt.Sprintf("head field 0: salt %q is not %d bytes in lowercase hex", salt[2:], store.SaltSize)},
		{"a salt that is not hex", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.HeadFields[0].Salt = "zz" + salt[2:] })
		}, at + fmt.Sprintf("head field 0: salt %q is not %d bytes in lowercase hex", "zz"+salt[2:], store.SaltSize)},
		{"a value and a commitment", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.HeadFields[0].Commitment = sumHex([]byte("x")) })
		}, at + "head field 0: want a value and its salt, or only a commitment"},
		{"neither value nor commitment", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.HeadFields[withheldField].Commitment = "" })
		}, at + fmt.Sprintf("head field %d: want a value and its salt, or only a commitment", withheldField)},
		{"a commitment and a salt", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.HeadFields[withheldField].Salt = salt })
		}, at + fmt.Sprintf("head field %d: want a value and its salt, or only a commitment", withheldField)},
		{"a commitment in upper case", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) {
				e.HeadFields[withheldField].Commitment = strings.ToUpper(e.HeadFields[withheldField].Commitment)
			})
		}, at + fmt.Sprintf("head field %d: want a value and its salt, or only a commitment", withheldField)},
		{"withheld fields not listed", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) {
				e.Withheld = slices.DeleteFunc(e.Withheld, func(w Withheld) bool { return w.Part == "request head" })
			})
		}, at + "head: fields query access_token, header Authorization, header Cookie are withheld, but not listed as redacted"},
		{"withheld fields listed as pruned", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Withheld[0].Reason = ReasonPruned })
		}, at + "head: fields query access_token, header Authorization, header Cookie are withheld, but not listed as redacted"},
		{"withheld fields listed as others", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Withheld[0].Fields = e.Withheld[0].Fields[1:] })
		}, at + "head: fields query access_token, header Authorization, header Cookie are withheld, but not listed as redacted"},
	})
	// Listed as withheld while every field is shipped.
	names, files = unzip(t, export(t, st, k, Selection{}))
	head := leafOf(t, entryOf(t, files, 0, 0)).Head
	runTampers(t, k, names, files, []bundleTamper{
		{"withheld, every field shipped", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) {
				e.Withheld = []Withheld{{Capture: "1", Seq: 1, Part: "request head", SHA256: head, Reason: ReasonRedacted}}
			})
		}, at + "head: listed as withheld, but every field is shipped"},
	})
}

// TestVerifyBundle_ManifestFilesAndSums: how a manifest that does not
// read ends the verification, log.pub and SHA256SUMS against the
// manifest, and the count of files hashed.
func TestVerifyBundle_ManifestFilesAndSums(t *testing.T) {
	st, k := newSecrets(t)
	b := export(t, st, k, Selection{})
	names, files := unzip(t, b)
	var m Manifest
	if err := json.Unmarshal(files[FileManifest], &m); err != nil {
		t.Fatal(err)
	}
	if rep := verifyBundle(t, b, k.vkey); !rep.OK() || rep.Files != len(m.Files) {
		t.Errorf("untouched: ok %v, %d files hashed, want %d: %v", rep.OK(), rep.Files, len(m.Files), findingStrings(rep.Failures))
	}

	// Canceled while manifest.json is read: the context's error.
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	ra := &cancelAt{r: bytes.NewReader(b)}
	for _, f := range zr.File {
		if f.Name == FileManifest {
			ra.from, _ = f.DataOffset()
			ra.to = ra.from + int64(f.CompressedSize64)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ra.cancel = cancel
	if rep, err := VerifyBundle(ctx, ra, int64(len(b)), BundleOptions{Keys: []string{k.vkey}}); !errors.Is(err, context.Canceled) || errors.Is(err, ErrNotBundle) || rep != nil {
		t.Errorf("canceled while reading the manifest: got %v, %v; want context.Canceled and no report", rep, err)
	}

	// No manifest, or one that does not read: not a bundle.
	without := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == FileManifest })
	nb := rezip(t, without, files)
	if rep, err := VerifyBundle(context.Background(), bytes.NewReader(nb), int64(len(nb)), BundleOptions{}); !errors.Is(err, ErrNotBundle) ||
		err.Error() != ErrNotBundle.Error()+": it has no manifest.json" || rep != nil {
		t.Errorf("no manifest: got %v, %v", rep, err)
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: FileManifest, Method: zip.Store, CRC32: 1,
		CompressedSize64: uint64(len(files[FileManifest])), UncompressedSize64: uint64(len(files[FileManifest]))})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(files[FileManifest])
	zw.Close()
	if rep, err := VerifyBundle(context.Background(), bytes.NewReader(zb.Bytes()), int64(zb.Len()), BundleOptions{}); !errors.Is(err, ErrNotBundle) ||
		!strings.Contains(err.Error(), "checksum error") || rep != nil {
		t.Errorf("a manifest that fails its CRC: got %v, %v; want ErrNotBundle naming the checksum", rep, err)
	}

	runTampers(t, k, names, files, []bundleTamper{
		{"log.pub another key", func(t *testing.T, f map[string][]byte) {
			f[FileKey] = []byte(newTestKey(t, "telltale/secrets").vkey + "\n")
		}, "log.pub: is not the key manifest.json names"},
	})
	// SHA256SUMS that says other than the manifest, listed and signed.
	changed := maps.Clone(files)
	changed[FileSums] = bytes.Replace(changed[FileSums], []byte(FileHAR), []byte("capture.HAR"), 1)
	rep := verifyBundle(t, resignKeepingSums(t, k, names, changed), k.vkey)
	wantFindings(t, rep.Failures, "SHA256SUMS: does not list the manifest's files and hashes")
}

// resignKeepingSums lists every file with its hash and signs the
// manifest, leaving SHA256SUMS as it is (resign rewrites it).
func resignKeepingSums(t *testing.T, k testKey, names []string, files map[string][]byte) []byte {
	t.Helper()
	var m Manifest
	if err := json.Unmarshal(files[FileManifest], &m); err != nil {
		t.Fatal(err)
	}
	for i, f := range m.Files {
		m.Files[i].SHA256, m.Files[i].Size = sumHex(files[f.Name]), int64(len(files[f.Name]))
	}
	mb, _ := json.MarshalIndent(&m, "", "  ")
	files[FileManifest] = append(mb, '\n')
	sig, err := note.Sign(&note.Note{Text: manifestNote(sumHex(files[FileManifest]))}, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	files[FileManifestSig] = sig
	return rezip(t, names, files)
}

// TestVerifyBundle_SealedBodyChecks: a sealed body's seal is the leaf's,
// and either the body opens its body line (salt, hash, size) or the
// redacted copy is the one its copy line names, listed as redacted with
// the seal's secrets.
func TestVerifyBundle_SealedBodyChecks(t *testing.T) {
	st, k := newSecrets(t)
	names, files := unzip(t, export(t, st, k, Selection{}))
	e := entryOf(t, files, 0, 0)
	l := leafOf(t, e)
	if l.Sealed == "" || e.Seal == nil || e.Body == "" || e.Seal.Salt == "" {
		t.Fatalf("capture 1's request: want a sealed body shipped with its salt, got %+v", e)
	}
	s, err := parseSeal(e.Seal.Text)
	if err != nil {
		t.Fatal(err)
	}
	const at = "captures.jsonl line 1, capture 1, record 1: "
	runTampers(t, k, names, files, []bundleTamper{
		{"no seal", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Seal = nil })
		}, at + "body: the leaf seals it, but the entry has no seal"},
		{"another seal", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Seal.Text += "x" })
		}, at + fmt.Sprintf("body: the seal's SHA-256 is %s, but the leaf says %s", sumHex([]byte(e.Seal.Text+"x")), l.Sealed)},
		{"shipped and withheld", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) {
				e.Withheld = []Withheld{{Capture: "1", Seq: 1, Part: "request body", SHA256: l.Sealed, Reason: ReasonPruned}}
			})
		}, at + "body: both shipped and withheld"},
		{"shipped with a redacted copy", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.BodyRedacted = DirRedacted + s.copy })
		}, at + "body: both shipped and withheld"},
		{"neither shipped nor withheld", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Body = "" })
			dropFile(t, f, e.Body)
		}, at + "body: missing, and not listed as withheld"},
		{"withheld as redacted without a copy", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) {
				e.Body = ""
				e.Withheld = []Withheld{{Capture: "1", Seq: 1, Part: "request body", SHA256: l.Sealed, Reason: ReasonRedacted}}
			})
			dropFile(t, f, e.Body)
		}, at + "body: withheld as redacted, without the redacted copy"},
		{"a salt too short", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Seal.Salt = e.Seal.Salt[2:] })
		}, at + fmt.Sprintf("body: the seal's salt %q is not %d bytes of hex", e.Seal.Salt[2:], store.SaltSize)},
		{"a salt not hex", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Seal.Salt = "zz" + e.Seal.Salt[2:] })
		}, at + fmt.Sprintf("body: the seal's salt %q is not %d bytes of hex", "zz"+e.Seal.Salt[2:], store.SaltSize)},
		{"another size", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.Seal.Size++ })
		}, at + fmt.Sprintf("body: the salt, SHA-256 and size give the commitment %s, but the seal says %s",
			store.BodyCommitment(must(hexDecode(e.Seal.Salt)), e.Seal.SHA256, e.Seal.Size+1), s.body)},
	})

	names, files = unzip(t, export(t, st, k, Selection{Redact: true}))
	e = entryOf(t, files, 0, 0)
	if e.BodyRedacted != DirRedacted+s.copy || e.Body != "" {
		t.Fatalf("capture 1's request, redacted: want its copy %s, got %+v", DirRedacted+s.copy, e)
	}
	body := func(e *Entry) *Withheld {
		for i := range e.Withheld {
			if e.Withheld[i].Part == "request body" {
				return &e.Withheld[i]
			}
		}
		t.Fatal("no withheld request body")
		return nil
	}
	runTampers(t, k, names, files, []bundleTamper{
		{"another copy", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { e.BodyRedacted = DirRedacted + l.Sealed })
		}, at + fmt.Sprintf("body: the redacted copy is %s, but the seal names %s", DirRedacted+l.Sealed, DirRedacted+s.copy)},
		{"the copy not listed as withheld", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) {
				e.Withheld = slices.DeleteFunc(e.Withheld, func(w Withheld) bool { return w.Part == "request body" })
			})
		}, at + "body: a redacted copy, but the body is not listed as redacted with it"},
		{"the copy listed as pruned", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { body(e).Reason = ReasonPruned })
		}, at + "body: a redacted copy, but the body is not listed as redacted with it"},
		{"the withheld entry naming another copy", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { body(e).Copy = DirRedacted + l.Sealed })
		}, at + "body: a redacted copy, but the body is not listed as redacted with it"},
		{"other secrets", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) { body(e).Fields = body(e).Fields[1:] })
		}, at + fmt.Sprintf("body: withheld fields %q, but the seal's secrets are %q", s.paths[1:], s.paths)},
		{"another form", func(t *testing.T, f map[string][]byte) {
			editEntry(t, f, 0, 0, func(_ *Line, e *Entry) {
				if e.BodyRedactedDecoded == store.CopyFields {
					e.BodyRedactedDecoded = ""
				} else {
					e.BodyRedactedDecoded = store.CopyFields
				}
			})
		}, at + fmt.Sprintf("body: the copy is said to be %q, but the seal's form is %s",
			map[bool]string{true: "", false: store.CopyFields}[s.form == store.CopyFields], s.form)},
		{"the copy not in the bundle", func(t *testing.T, f map[string][]byte) {
			dropFile(t, f, DirRedacted+s.copy)
		}, at + fmt.Sprintf("body: the redacted copy %s is not in the bundle", DirRedacted+s.copy)},
		{"the copy changed", func(t *testing.T, f map[string][]byte) {
			f[DirRedacted+s.copy] = append(bytes.Clone(f[DirRedacted+s.copy]), ' ')
		}, at + fmt.Sprintf("body: the manifest lists %s with SHA-256 %s", DirRedacted+s.copy, sumHex(append(bytes.Clone(files[DirRedacted+s.copy]), ' ')))},
	})
	if len(s.paths) < 2 {
		t.Errorf("the seal holds %d secrets, want two or more for the 'other secrets' case", len(s.paths))
	}
}

func hexDecode(s string) ([]byte, error) {
	var b []byte
	_, err := fmt.Sscanf(s, "%x", &b)
	return b, err
}

func TestVerifyBundle_ParseSeal(t *testing.T) {
	h := sumHex([]byte("x"))
	good := store.SealVersion + "\nbody " + h + "\ncopy " + h + " 12 " + store.CopyBody + "\nsecret " + h + " \"$.a\"\nsecret " + h + " \"$.b\"\n"
	s, err := parseSeal(good)
	if err != nil || s.body != h || s.copy != h || s.copySize != 12 || s.form != store.CopyBody || !slices.Equal(s.paths, []string{"$.a", "$.b"}) {
		t.Fatalf("parseSeal: got %+v, %v", s, err)
	}
	if s, err := parseSeal(strings.Replace(good, " 12 "+store.CopyBody+"\n", " 12 "+store.CopyFields+"\n", 1)); err != nil || s.form != store.CopyFields {
		t.Errorf("form %s: got %+v, %v", store.CopyFields, s, err)
	}
	one := strings.Replace(good, "secret "+h+" \"$.b\"\n", "", 1)
	if s, err := parseSeal(one); err != nil || !slices.Equal(s.paths, []string{"$.a"}) {
		t.Errorf("one secret: got %+v, %v", s, err)
	}
	notASeal := fmt.Sprintf("not a %s seal with at least one secret", store.SealVersion)
	for _, tc := range []struct{ name, text, want string }{
		{"no secret", strings.SplitAfterN(good, "\n", 4)[0] + strings.SplitAfterN(good, "\n", 4)[1] + strings.SplitAfterN(good, "\n", 4)[2], notASeal},
		{"no final newline", strings.TrimSuffix(good, "\n"), notASeal},
		{"another version", strings.Replace(good, store.SealVersion, store.SealVersion+"x", 1), notASeal},
		{"a body not a hash", strings.Replace(good, "body "+h, "body "+h[1:], 1), `line 2: want "body <sha256>"`},
		{"a body misnamed", strings.Replace(good, "body "+h, "bodies "+h, 1), `line 2: want "body <sha256>"`},
		{"a copy misnamed", strings.Replace(good, "copy "+h, "copies "+h, 1), `line 3: want "copy <sha256> <size> <form>"`},
		{"a copy not a hash", strings.Replace(good, "copy "+h, "copy "+h[1:], 1), `line 3: want "copy <sha256> <size> <form>"`},
		{"a copy of another form", strings.Replace(good, " 12 "+store.CopyBody+"\n", " 12 json\n", 1), `line 3: want "copy <sha256> <size> <form>"`},
		{"a copy line of five fields", strings.Replace(good, " 12 "+store.CopyBody+"\n", " 12 "+store.CopyBody+" x\n", 1), `line 3: want "copy <sha256> <size> <form>"`},
		{"a size not a number", strings.Replace(good, " 12 ", " twelve ", 1), `line 3: size: strconv.ParseInt: parsing "twelve": invalid syntax`},
		{"a secret misnamed", strings.Replace(good, "secret "+h+" \"$.b\"", "secrets "+h+" \"$.b\"", 1), `line 5: want "secret <sha256> <JSON string>"`},
		{"a secret not a hash", strings.Replace(good, "secret "+h+" \"$.a\"", "secret "+h[1:]+" \"$.a\"", 1), `line 4: want "secret <sha256> <JSON string>"`},
		{"a secret path not JSON", strings.Replace(good, "\"$.b\"", "$.b", 1), `line 5: want "secret <sha256> <JSON string>"`},
		{"a secret without a path", strings.Replace(good, " \"$.b\"", "", 1), `line 5: want "secret <sha256> <JSON string>"`},
	} {
		if s, err := parseSeal(tc.text); err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %+v, %v; want %q", tc.name, s, err, tc.want)
		}
	}
}

// TestVerifyBundle_ManifestSigOfAnotherNote: manifest.sig must be the
// log key's signature of this manifest's hash, not any note the key
// signed (checkpoint.txt, or a manifest signature of another form).
func TestVerifyBundle_ManifestSigOfAnotherNote(t *testing.T) {
	st, k := newSecrets(t)
	names, files := unzip(t, export(t, st, k, Selection{}))
	sum := sumHex(files[FileManifest])
	for name, text := range map[string]string{
		"checkpoint.txt as manifest.sig": "",
		"another title":                  "telltale bundle manifests\n" + sum + "  " + FileManifest + "\n",
		"a second line":                  manifestNote(sum) + "and more\n",
		"another file name":              manifestSigTitle + "\n" + sum + "  manifest.JSON\n",
	} {
		t.Run(name, func(t *testing.T) {
			changed := maps.Clone(files)
			if text == "" {
				changed[FileManifestSig] = files[FileCheckpoint]
			} else {
				sig, err := note.Sign(&note.Note{Text: text}, k.signer)
				if err != nil {
					t.Fatal(err)
				}
				changed[FileManifestSig] = sig
			}
			rep := verifyBundle(t, rezip(t, names, changed), k.vkey)
			wantFindings(t, rep.Failures, "manifest.sig: is not the signature of a bundle manifest")
		})
	}
}
