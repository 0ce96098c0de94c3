package evidence

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// ExportOptions configure Export.
type ExportOptions struct {
	// Selection says which captures; with none of Host, Endpoint, Since,
	// Until and IDs set, every capture. Redact applies Redactor.
	Selection Selection
	Since     time.Time // Selection.Since, parsed
	Until     time.Time // Selection.Until, parsed
	Redactor  Redactor
	// Pseudonymise, when set, withholds the identifiers of people and
	// devices (export_pseudonym.go); Selection.Pseudonymise says so.
	Pseudonymise *Pseudonymiser

	// Signer is the log key, which signs manifest.sig; Key is its verifier
	// key (DATA/ca/log.pub). Both required.
	Signer note.Signer
	Key    string

	// Attach, when set, adds derived files (export_attach.go) once the
	// captures are written.
	Attach func(Attached) ([]Attachment, error)

	Tool    string           // the exporting program and version, for the manifest and HAR
	Now     func() time.Time // the export time; nil means time.Now
	TempDir string           // for the files built while bodies are written; "" means os.TempDir()
}

// Export writes a bundle of the selected captures to w, every record
// proven against the latest stored checkpoint, which proves the whole log:
// a selection is proven against the full log, not a log of its own. Sign
// a checkpoint first (SignTree) so that it covers the newest records;
// captures opened after it are left out and counted in skipped.
//
// Export refuses to write a bundle that would not verify: a record that
// its checkpoint does not prove, or a body that does not hash to its
// address, is an error (run Verify to see everything that is wrong).
func Export(w io.Writer, st *store.Store, opts ExportOptions) (m *Manifest, skipped int, err error) {
	x, err := newExporter(w, st, opts)
	if err != nil {
		return nil, 0, err
	}
	defer x.cleanup()
	caps, err := x.selection()
	if err != nil {
		return nil, 0, err
	}
	for _, c := range caps {
		if c.Leaves[0] >= x.ck.Size {
			x.skipped++
			continue
		}
		if err := x.capture(c); err != nil {
			return nil, 0, fmt.Errorf("export: capture %s: %w", c.ID, err)
		}
		x.exported = append(x.exported, c)
	}
	if err := x.finish(); err != nil {
		return nil, 0, fmt.Errorf("export: %w", err)
	}
	return &x.m, x.skipped, nil
}

type exporter struct {
	st     *store.Store
	opts   ExportOptions
	now    time.Time
	key    note.Verifier
	cp     store.Checkpoint
	ck     Checkpoint
	hashes tlog.HashReader
	bw     *bundleWriter

	// Built while the bodies go into the zip, copied in at the end.
	captures, har, summary *os.File
	capturesW, harBuf      *bufio.Writer
	harW                   *harWriter
	summaryW               *summaryWriter

	m        Manifest
	skipped  int
	exported []store.Capture // for Attach

	// Of a pseudonymised export: the pseudonyms listed in the manifest,
	// and each identifier's pseudonym, for Attach.
	listed      map[string]bool
	pseudonymOf map[string]string
}

func newExporter(w io.Writer, st *store.Store, opts ExportOptions) (*exporter, error) {
	if opts.Signer == nil {
		return nil, errors.New("export: no signing key")
	}
	key, err := ParseKey(opts.Key)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if key.Name() != opts.Signer.Name() || key.KeyHash() != opts.Signer.KeyHash() {
		return nil, fmt.Errorf("export: the verifier key %s+%08x is not the signing key's %s+%08x",
			key.Name(), key.KeyHash(), opts.Signer.Name(), opts.Signer.KeyHash())
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if err := normalizeTimes(&opts); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := normalizeEndpoint(&opts.Selection); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if opts.Pseudonymise != nil && (opts.Pseudonymise.Find == nil || len(opts.Pseudonymise.Key) < 16) {
		return nil, errors.New("export: pseudonymise needs a key of 16 bytes or more and a finder")
	}
	opts.Selection.Pseudonymise = opts.Pseudonymise != nil
	x := &exporter{st: st, opts: opts, now: now().UTC(), key: key, hashes: st.HashReader(),
		listed: map[string]bool{}, pseudonymOf: map[string]string{}}
	if err := x.checkpoint(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	x.bw = newBundleWriter(w, x.now)
	if err := x.temps(); err != nil {
		x.cleanup()
		return nil, fmt.Errorf("export: %w", err)
	}
	return x, nil
}

// checkpoint loads the latest checkpoint and checks it against the store.
func (x *exporter) checkpoint() error {
	cp, err := x.st.LatestCheckpoint()
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: sign one with `telltale checkpoint`", ErrNoCheckpoint)
	}
	if err != nil {
		return err
	}
	ck, err := Open(cp.Note, x.key)
	if err != nil {
		return fmt.Errorf("checkpoint %d: %w; run `telltale verify`", cp.Index, err)
	}
	root, err := x.st.TreeHash(ck.Size)
	if err != nil {
		return err
	}
	if root != ck.Root {
		return fmt.Errorf("checkpoint %d signs root %s but the store's tree hashes give %s: run `telltale verify`",
			cp.Index, ck.Root, root)
	}
	x.cp, x.ck = cp, ck
	return nil
}

func (x *exporter) temps() error {
	for _, f := range []**os.File{&x.captures, &x.har, &x.summary} {
		var err error
		if *f, err = os.CreateTemp(x.opts.TempDir, "telltale-export-*"); err != nil {
			return err
		}
	}
	x.capturesW = bufio.NewWriter(x.captures)
	x.harBuf = bufio.NewWriter(x.har)
	x.harW = newHARWriter(x.harBuf, x.opts.Tool)
	x.summaryW = newSummaryWriter(x.summary)
	return nil
}

func (x *exporter) cleanup() {
	for _, f := range []*os.File{x.captures, x.har, x.summary} {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
}

// selection lists the captures to export, oldest first.
func (x *exporter) selection() ([]store.Capture, error) {
	sel := x.opts.Selection
	if len(sel.IDs) == 0 {
		host := sel.Host
		if sel.Endpoint != "" {
			host = endpointHost(sel.Endpoint)
		}
		caps, err := x.st.List(store.Query{Host: host, Since: x.opts.Since, Until: x.opts.Until})
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		if sel.Endpoint != "" {
			caps = slices.DeleteFunc(caps, func(c store.Capture) bool { return !sel.holds(c.Host, &c) })
		}
		return byID(caps), nil
	}
	var caps []store.Capture
	seen := map[string]bool{}
	for _, id := range sel.IDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		c, err := x.st.Capture(id)
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		caps = append(caps, *c)
	}
	return byID(caps), nil
}

// byID orders captures by id, as captures.jsonl lists them (README.txt
// F6): List orders them by time, which concurrent appends may give out
// of seq order.
func byID(caps []store.Capture) []store.Capture {
	seq := func(c store.Capture) uint64 { n, _ := strconv.ParseUint(c.ID, 10, 64); return n }
	slices.SortStableFunc(caps, func(a, b store.Capture) int { return cmp.Compare(seq(a), seq(b)) })
	return caps
}

// capture adds one capture: its bodies to the zip, its line, HAR entry and
// summary row to the temp files.
func (x *exporter) capture(c store.Capture) error {
	line := &Line{ID: c.ID}
	files := map[string][]byte{}
	for _, leaf := range c.Leaves {
		if leaf >= x.ck.Size {
			continue // the response came after the checkpoint
		}
		e, err := x.entry(leaf+1, c.ID, files)
		if err != nil {
			return err
		}
		line.Records = append(line.Records, *e)
	}
	s, err := showLine(line)
	if err != nil {
		return err
	}
	line.Capture = s.view()
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	if _, err := x.capturesW.Write(append(b, '\n')); err != nil {
		return err
	}
	source := func(name string) ([]byte, error) {
		if data, ok := files[name]; ok {
			return data, nil
		}
		return nil, fmt.Errorf("%s: not in this capture", name)
	}
	if err := x.harW.add(s, source); err != nil {
		return err
	}
	if err := x.summaryW.add(s); err != nil {
		return err
	}
	x.m.Captures++
	x.m.Records += len(line.Records)
	for _, e := range line.Records {
		x.m.Withheld = append(x.m.Withheld, e.Withheld...)
	}
	return nil
}

// normalizeTimes makes Since and Until and their Selection strings agree:
// a time given only as a string is parsed, and the manifest says each in
// store.TimeFormat.
func normalizeTimes(o *ExportOptions) error {
	for _, t := range []struct {
		name string
		s    *string
		t    *time.Time
	}{{"since", &o.Selection.Since, &o.Since}, {"until", &o.Selection.Until, &o.Until}} {
		if t.t.IsZero() && *t.s != "" {
			parsed, err := time.Parse(time.RFC3339Nano, *t.s)
			if err != nil {
				return fmt.Errorf("%s %q: want an RFC 3339 time", t.name, *t.s)
			}
			*t.t = parsed
		}
		if !t.t.IsZero() {
			*t.s = t.t.UTC().Format(store.TimeFormat)
		}
	}
	return nil
}
