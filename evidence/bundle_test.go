package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
)

func TestExportVerify_RoundTripThousands(t *testing.T) {
	dir, k := bigFixture(t)
	st := mustOpen(t, dir, store.Options{ReadOnly: true})
	start := time.Now()
	b := export(t, st, k, Selection{})
	exported := time.Since(start)
	start = time.Now()
	rep := verifyBundle(t, b, k.vkey)
	t.Logf("%d captures, %d records: export %v (%d KiB), verify %v", rep.Captures, rep.Records, exported, len(b)>>10, time.Since(start))
	if !rep.OK() {
		t.Fatalf("failures: %v", findingStrings(rep.Failures[:min(len(rep.Failures), 20)]))
	}
	size, _ := st.Size()
	const indexRecords = 3 // one per checkpoint, in capture-index.json
	if rep.Captures != fixtureExchanges+5 || rep.Records+indexRecords != int(size) || rep.Checkpoint.Size != size || !rep.KeyPinned {
		t.Errorf("got %d captures, %d records, checkpoint %d, pinned %v; want %d, %d, %d, true",
			rep.Captures, rep.Records, rep.Checkpoint.Size, rep.KeyPinned, fixtureExchanges+5, size-indexRecords, size)
	}
	if rep.Earlier != 2 || !rep.Complete {
		t.Errorf("earlier checkpoints proven: got %d, want 2; complete %v, want true", rep.Earlier, rep.Complete)
	}
	_, files := unzip(t, b)
	var har struct {
		Log struct {
			Version string
			Entries []json.RawMessage
		}
	}
	if err := json.Unmarshal(files[FileHAR], &har); err != nil || har.Log.Version != "1.2" || len(har.Log.Entries) != fixtureExchanges+3 {
		t.Errorf("HAR: version %q, %d entries, %v; want 1.2 with %d", har.Log.Version, len(har.Log.Entries), err, fixtureExchanges+3)
	}
	if rows := strings.Count(string(files[FileSummary]), "\n"); rows != fixtureExchanges+6 {
		t.Errorf("summary.csv: got %d lines, want %d", rows, fixtureExchanges+6)
	}
}

func TestExport_SubsetProvesAgainstFullLog(t *testing.T) {
	dir, k := bigFixture(t)
	st := mustOpen(t, dir, store.Options{ReadOnly: true})
	b := export(t, st, k, Selection{Host: "cis.citrix.com"})
	rep := verifyBundle(t, b, k.vkey)
	if !rep.OK() {
		t.Fatalf("failures: %v", findingStrings(rep.Failures))
	}
	if rep.Complete {
		t.Error("a --host bundle says it holds the whole log")
	}
	size, _ := st.Size()
	want := (fixtureExchanges + 1) / 3 // exchange i goes to cis.citrix.com when i%3 == 1
	if rep.Checkpoint.Size != size || rep.Captures != want {
		t.Errorf("got %d captures against tree size %d, want %d against the full log's %d",
			rep.Captures, rep.Checkpoint.Size, want, size)
	}
	_, files := unzip(t, b)
	for _, line := range strings.Split(strings.TrimSpace(string(files[FileCaptures])), "\n") {
		var l Line
		json.Unmarshal([]byte(line), &l)
		if l.Capture.Host != "cis.citrix.com" {
			t.Fatalf("capture %s of host %q in a --host cis.citrix.com bundle", l.ID, l.Capture.Host)
		}
	}
}

func TestExport_IDsAndSkipsCapturesAfterCheckpoint(t *testing.T) {
	s := newSmall(t)
	st := mustOpen(t, s.dir, storeOptions())
	late := appendRecord(t, st, request("las.cloud.com", "GET", "https://las.cloud.com/late"), nil)
	var b bytes.Buffer
	m, skipped, err := Export(&b, st, ExportOptions{Signer: s.key.signer, Key: s.key.vkey, TempDir: t.TempDir()})
	if err != nil || skipped != 1 || m.Captures != 3 {
		t.Fatalf("Export: %d captures, %d skipped, %v; want 3 and the late one skipped", m.Captures, skipped, err)
	}
	b.Reset()
	req3 := fmt.Sprint(s.seqs["req3"])
	m, _, err = Export(&b, st, ExportOptions{Selection: Selection{IDs: []string{req3, "1", req3}},
		Signer: s.key.signer, Key: s.key.vkey, TempDir: t.TempDir()})
	if err != nil || m.Captures != 2 {
		t.Fatalf("Export --id 3 1 3: %d captures, %v", m.Captures, err)
	}
	if rep := verifyBundle(t, b.Bytes(), s.key.vkey); !rep.OK() {
		t.Errorf("failures: %v", findingStrings(rep.Failures))
	}
	_, _, err = Export(&b, st, ExportOptions{Selection: Selection{IDs: []string{fmt.Sprint(late + 100)}},
		Signer: s.key.signer, Key: s.key.vkey, TempDir: t.TempDir()})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: got %v, want ErrNotFound", err)
	}
}

func TestExport_SinceUntilAsStringsOnly(t *testing.T) {
	s := newSmall(t)
	st := mustOpen(t, s.dir, store.Options{ReadOnly: true})
	var b bytes.Buffer
	m, _, err := Export(&b, st, ExportOptions{Selection: Selection{Since: "2026-04-15T09:00:00.002Z", Until: "2026-04-15T10:00:00Z"},
		Signer: s.key.signer, Key: s.key.vkey, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if m.Captures != 2 || m.Selection.Since != "2026-04-15T09:00:00.002000000Z" {
		t.Errorf("got %d captures since %q; want 2 (captures 3 and 5) since the normalized time", m.Captures, m.Selection.Since)
	}
	if rep := verifyBundle(t, b.Bytes(), s.key.vkey); !rep.OK() {
		t.Errorf("failures: %v", findingStrings(rep.Failures))
	}
	if _, _, err := Export(&b, st, ExportOptions{Selection: Selection{Since: "yesterday"}, Signer: s.key.signer, Key: s.key.vkey}); err == nil {
		t.Error("a since that is not a time: got no error")
	}
}
