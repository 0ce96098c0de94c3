package evidence

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/testpki"
	"github.com/telltale/telltale/internal/testtool"
	"github.com/telltale/telltale/store"
	"github.com/telltale/telltale/testbed"
)

// newTSA starts a local RFC 3161 TSA (testbed's, on a real socket).
func newTSA(tb testing.TB) *testbed.TSA {
	tb.Helper()
	tsa, err := testbed.NewTSA(testbed.TSAOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tsa.Start()
	tb.Cleanup(func() { tsa.Close() })
	return tsa
}

func tsaClient(tb testing.TB, tsa *testbed.TSA, trust bool) *TSA {
	tb.Helper()
	c := &TSA{URL: tsa.URL()}
	if trust {
		roots, err := ParseTSARoots(tsa.RootPEM())
		if err != nil {
			tb.Fatal(err)
		}
		c.Roots = roots
	}
	return c
}

func TestTSA_Stamp_CheckedWithAndWithoutRoots(t *testing.T) {
	tsa := newTSA(t)
	msg := []byte("telltale/test\n3\nroot\n\n— sig\n")
	tsr, err := tsaClient(t, tsa, true).Stamp(context.Background(), msg)
	if err != nil {
		t.Fatalf("Stamp: %v", err)
	}
	roots, _ := ParseTSARoots(tsa.RootPEM())
	st, err := CheckTimestamp(tsr, msg, roots)
	if err != nil || !st.Trusted || !strings.Contains(st.TSA, "simulated TSA") || time.Since(st.Time) > time.Minute {
		t.Errorf("with the TSA's root: got %+v, %v; want trusted, by the simulated TSA, now", st, err)
	}
	if st, err := CheckTimestamp(tsr, msg, nil); err != nil || st.Trusted {
		t.Errorf("without roots: got %+v, %v; want checked, not trusted", st, err)
	}
	if _, err := CheckTimestamp(tsr, append(bytes.Clone(msg), 'x'), nil); !errors.Is(err, ErrTimestamp) ||
		!strings.Contains(err.Error(), "another message") {
		t.Errorf("another message: got %v, want ErrTimestamp naming another message", err)
	}
	if _, err := CheckTimestamp(tsr, msg, testpki.NewCA(t, "other").Pool()); !errors.Is(err, ErrTimestamp) ||
		!strings.Contains(err.Error(), "not trusted") {
		t.Errorf("another root: got %v, want ErrTimestamp, not trusted", err)
	}
	// The signature is at the end of the token; flip a byte in it.
	bad := bytes.Clone(tsr)
	bad[len(bad)-5] ^= 0x01
	if _, err := CheckTimestamp(bad, msg, nil); !errors.Is(err, ErrTimestamp) {
		t.Errorf("changed signature: got %v, want ErrTimestamp", err)
	}
}

func TestTSA_Stamp_UnreachableOrRefusing(t *testing.T) {
	tsa := newTSA(t)
	tsa.SetDown(true)
	if _, err := tsaClient(t, tsa, false).Stamp(context.Background(), []byte("note")); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("TSA down: got %v, want the 503", err)
	}
	tsa.SetDown(false)
	if _, err := tsaClient(t, tsa, true).Stamp(context.Background(), []byte("note")); err != nil {
		t.Errorf("TSA up again: %v", err)
	}
	other := &TSA{URL: tsa.URL(), Roots: testpki.NewCA(t, "not the TSA's").Pool()}
	if _, err := other.Stamp(context.Background(), []byte("note")); !errors.Is(err, ErrTimestamp) {
		t.Errorf("TSA outside tsa_ca_file: got %v, want ErrTimestamp", err)
	}
	tsa.Close()
	if _, err := tsaClient(t, tsa, false).Stamp(context.Background(), []byte("note")); err == nil {
		t.Error("closed TSA: got no error")
	}
}

// stampedStore is a small store with two checkpoints, both timestamped.
func stampedStore(t *testing.T) (*store.Store, testKey, *testbed.TSA) {
	t.Helper()
	tsa := newTSA(t)
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/stamped")
	for i := range 6 {
		exchange(t, st, i)
		if i == 2 || i == 5 {
			signTree(t, st, k)
		}
	}
	tsa.SetDown(true)
	if n, err := StampCheckpoints(context.Background(), st, tsaClient(t, tsa, false), 0); n != 0 || err == nil {
		t.Fatalf("TSA down: stamped %d, %v; want 0 and an error", n, err)
	}
	if n, _ := Unstamped(st); n != 2 {
		t.Fatalf("unstamped after a failed try: got %d, want 2 (kept for a retry)", n)
	}
	tsa.SetDown(false)
	if n, err := StampCheckpoints(context.Background(), st, tsaClient(t, tsa, false), 0); n != 2 || err != nil {
		t.Fatalf("retry: stamped %d, %v; want 2", n, err)
	}
	if n, err := StampCheckpoints(context.Background(), st, tsaClient(t, tsa, false), 0); n != 0 || err != nil {
		t.Fatalf("again: stamped %d, %v; want 0: every checkpoint has one", n, err)
	}
	return st, k, tsa
}

func TestVerify_Timestamps(t *testing.T) {
	st, k, tsa := stampedStore(t)
	roots, _ := ParseTSARoots(tsa.RootPEM())
	rep, err := Verify(st, VerifyOptions{Verifier: k.verifier(t), TSARoots: roots})
	if err != nil || !rep.OK() {
		t.Fatalf("got %v, failures %v", err, findingStrings(rep.Failures))
	}
	if len(rep.Anchors.Timestamps) != 2 || !rep.Anchors.Trusted() || rep.Anchors.Unstamped != 0 {
		t.Errorf("with --tsa-ca: got %+v, want 2 trusted timestamps", rep.Anchors)
	}
	rep, _ = Verify(st, VerifyOptions{Verifier: k.verifier(t)})
	if !rep.OK() || rep.Anchors.Trusted() {
		t.Errorf("without --tsa-ca: got ok %v, trusted %v; want ok, not trusted", rep.OK(), rep.Anchors.Trusted())
	}
	hasFinding(t, rep.Notes, "2 checkpoints timestamped (by CN=Telltale testbed simulated TSA,O=Telltale testbed), TSA not trusted (pass --tsa-ca)")

	// Checkpoint 1's timestamp filed under checkpoint 2: it timestamps
	// another note.
	tsrs, _ := st.Anchors(store.AnchorTimestamp)
	if err := st.PutAnchor(store.Anchor{Checkpoint: 2, Kind: store.AnchorTimestamp, Data: tsrs[1]}); err != nil {
		t.Fatal(err)
	}
	rep, _ = Verify(st, VerifyOptions{Verifier: k.verifier(t), TSARoots: roots})
	if len(rep.Failures) != 1 || rep.Failures[0].Checkpoint != 2 ||
		!strings.Contains(rep.Failures[0].Msg, "another message") {
		t.Errorf("swapped timestamp: got %v, want one failure about checkpoint 2", findingStrings(rep.Failures))
	}
}

func TestBundle_CarriesAndChecksTimestamps(t *testing.T) {
	st, k, tsa := stampedStore(t)
	b := export(t, st, k, Selection{})
	_, files := unzip(t, b)
	for _, name := range []string{"timestamps/1.tsr", "timestamps/2.tsr"} {
		if files[name] == nil {
			t.Errorf("bundle lacks %s", name)
		}
	}
	if !strings.Contains(string(files[FileReadme]), "timestamps/2.tsr") {
		t.Errorf("README does not name the timestamps:\n%s", files[FileReadme])
	}
	roots, _ := ParseTSARoots(tsa.RootPEM())
	rep, err := VerifyBundle(context.Background(), bytes.NewReader(b), int64(len(b)), BundleOptions{Keys: []string{k.vkey}, TSARoots: roots})
	if err != nil || !rep.OK() {
		t.Fatalf("got %v, failures %v", err, findingStrings(rep.Failures))
	}
	a := rep.Manifest.Anchors
	if len(a) != 2 || a[0].Note != FileCheckpoints || a[1].Note != FileCheckpoint || !rep.Anchors.Trusted() {
		t.Errorf("anchors: manifest %+v, report %+v; want 2, the latest on checkpoint.txt, trusted", a, rep.Anchors)
	}
	rep = verifyBundle(t, b, k.vkey)
	if !rep.OK() || len(rep.Anchors.Timestamps) != 2 || rep.Anchors.Trusted() {
		t.Errorf("without roots: got ok %v, %+v; want 2 checked, not trusted", rep.OK(), rep.Anchors)
	}
	rep, _ = VerifyBundle(context.Background(), bytes.NewReader(b), int64(len(b)),
		BundleOptions{Keys: []string{k.vkey}, TSARoots: testpki.NewCA(t, "other").Pool()})
	if len(rep.Failures) != 2 || !strings.Contains(rep.Failures[0].Msg, "not trusted") {
		t.Errorf("another TSA root: got %v, want both timestamps not trusted", findingStrings(rep.Failures))
	}
}

// TestReadme_TimestampCommandsWork runs README.txt's openssl commands for
// the timestamps in an unzipped bundle, with the TSA's CA as tsa-ca.pem,
// and checks that openssl refuses a timestamp of another checkpoint.
func TestReadme_TimestampCommandsWork(t *testing.T) {
	testtool.Need(t, "bash", "openssl")
	st, k, tsa := stampedStore(t)
	names, files := unzip(t, export(t, st, k, Selection{}))
	work := t.TempDir()
	for _, n := range names {
		os.MkdirAll(filepath.Dir(filepath.Join(work, n)), 0o700)
		os.WriteFile(filepath.Join(work, n), files[n], 0o600)
	}
	os.WriteFile(filepath.Join(work, "tsa-ca.pem"), tsa.RootPEM(), 0o600)
	var cmds []string
	for line := range strings.Lines(string(files[FileReadme])) {
		if c, ok := strings.CutPrefix(line, "     openssl ts "); ok {
			cmds = append(cmds, "openssl ts "+strings.TrimSpace(c))
		}
	}
	if len(cmds) != 2 {
		t.Fatalf("README.txt: got openssl ts commands %q, want 2", cmds)
	}
	run := func(c string) ([]byte, error) {
		cmd := exec.Command("bash", "-e", "-c", c)
		cmd.Dir = work
		return cmd.CombinedOutput()
	}
	for _, c := range cmds {
		if out, err := run(c); err != nil || (strings.Contains(c, "-verify") && !strings.Contains(string(out), "Verification: OK")) {
			t.Errorf("%s: %v\n%s", c, err, out)
		}
	}
	other := strings.Replace(cmds[0], "timestamps/2.tsr", "timestamps/1.tsr", 1)
	if out, err := run(other); err == nil {
		t.Errorf("%s: passed with checkpoint 1's timestamp against checkpoint.txt\n%s", other, out)
	}
}
