package evidence

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	cosig "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// The client side of the C2SP tlog-witness protocol
// (https://c2sp.org/tlog-witness): a witness cosigns a checkpoint only
// after checking, with a consistency proof, that it extends the last
// checkpoint of the log it cosigned. Its cosignatures (c2sp.org/
// tlog-cosignature, cosignature/v1 note signature lines) are stored with
// the checkpoint (store.AnchorCosignatures) and carried in bundles
// (cosignatures/<index>.txt); a witness that finds the log does not extend
// what it saw refuses, and the refusal is stored (store.AnchorRefusals)
// and reported by Verify as a fork.

// Cosigner asks one witness for cosignatures.
type Cosigner struct {
	// URL is the witness's prefix; requests go to URL + "/add-checkpoint".
	URL string
	// Client makes the requests; nil means one with a 10-second timeout.
	// Redirects are never followed.
	Client *http.Client
	// Now is when a refusal is recorded; nil means time.Now.
	Now func() time.Time

	key string
	v   note.Verifier
}

// NewCosigner is a client of the witness at url whose verifier key is
// vkey (cosignature/v1, or a plain Ed25519 note key).
func NewCosigner(url, vkey string, client *http.Client) (*Cosigner, error) {
	v, err := ParseWitnessKey(vkey)
	if err != nil {
		return nil, err
	}
	return &Cosigner{URL: strings.TrimSuffix(url, "/"), Client: client, key: strings.TrimSpace(vkey), v: v}, nil
}

// Name is the witness's name, as its cosignature lines carry it.
func (c *Cosigner) Name() string { return c.v.Name() }

// ParseWitnessKey parses a witness's verifier key: a cosignature/v1 key
// (algorithm 0x04, c2sp.org/tlog-cosignature), which x/mod's note package
// does not know, or a plain Ed25519 one.
func ParseWitnessKey(vkey string) (note.Verifier, error) {
	vkey = strings.TrimSpace(vkey)
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) == 3 {
		if raw, err := base64.StdEncoding.DecodeString(parts[2]); err == nil && len(raw) > 0 && raw[0] == 0x04 {
			v, err := cosig.NewVerifierForCosignatureV1(vkey)
			if err != nil || fmt.Sprintf("%08x", v.KeyHash()) != parts[1] {
				return nil, fmt.Errorf("witness key %q: not a cosignature/v1 verifier key (name+hash+key)", vkey)
			}
			return v, nil
		}
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("witness key %q: %w (want the witness's verifier key, name+hash+key)", vkey, err)
	}
	return v, nil
}

// WitnessConflictError is a witness's 409 Conflict: it has cosigned the
// log at Known, not at the old size the request said.
type WitnessConflictError struct{ Known uint64 }

func (e *WitnessConflictError) Error() string {
	return fmt.Sprintf("the witness has the log at tree size %d", e.Known)
}

// maxWitnessAnswer bounds a witness's answer: a few signature lines.
const maxWitnessAnswer = 64 << 10

// AddCheckpoint posts one add-checkpoint request: the old size the
// witness is believed to have, the consistency proof from it, and the
// signed checkpoint. It returns the witness's cosignature lines that
// verify with its key, or a *WitnessConflictError, or an error that says
// why the witness refused.
func (c *Cosigner) AddCheckpoint(ctx context.Context, old uint64, proof []tlog.Hash, signed []byte) ([]byte, error) {
	var body bytes.Buffer
	fmt.Fprintf(&body, "old %d\n", old)
	for _, h := range proof {
		fmt.Fprintf(&body, "%s\n", h)
	}
	body.WriteString("\n")
	body.Write(signed)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/add-checkpoint", &body)
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", origin(c.URL), bareErr(err))
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", origin(c.URL), bareErr(err))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxWitnessAnswer))
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", origin(c.URL), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.refused(resp.StatusCode, answer)
	}
	return c.cosignatures(signed, answer)
}

func (c *Cosigner) client() *http.Client {
	out := http.Client{Timeout: 10 * time.Second}
	if c.Client != nil {
		out = *c.Client
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &out
}

// refused is the error of a witness's answer other than 200.
func (c *Cosigner) refused(status int, answer []byte) error {
	w := fmt.Sprintf("witness %s (%s)", c.Name(), origin(c.URL))
	said := strings.TrimSpace(string(answer))
	if len(said) > 200 || strings.ContainsFunc(said, func(r rune) bool { return r < ' ' && r != '\n' }) {
		said = "(an answer not shown)"
	}
	switch status {
	case http.StatusConflict:
		n, err := strconv.ParseUint(strings.TrimSpace(string(answer)), 10, 64)
		if err != nil {
			return fmt.Errorf("%s: 409 Conflict without a tree size (%q)", w, said)
		}
		return &WitnessConflictError{Known: n}
	case http.StatusUnprocessableEntity:
		return fmt.Errorf("%w: %s refused the checkpoint: its consistency proof from the checkpoint the witness cosigned "+
			"does not verify (%s): the log does not extend what the witness saw, so it was rewritten", ErrForked, w, said)
	case http.StatusForbidden:
		return fmt.Errorf("%s refused: 403 %s: the witness does not know this log or its key; give it the log's origin and the key in DATA/ca/log.pub", w, said)
	case http.StatusNotFound:
		return fmt.Errorf("%s: 404: no tlog-witness at %s/add-checkpoint; check evidence.witnesses' url", w, origin(c.URL))
	case http.StatusBadRequest:
		return fmt.Errorf("%s: 400 %s: the witness could not read the request", w, said)
	}
	return fmt.Errorf("%s: HTTP %d %s", w, status, said)
}

// cosignatures keeps the lines of a witness's answer that are its
// cosignatures of signed, and fails when none is.
func (c *Cosigner) cosignatures(signed, answer []byte) ([]byte, error) {
	text, err := noteText(signed)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, line := range strings.SplitAfter(string(answer), "\n") {
		if line == "" {
			continue
		}
		if !strings.HasSuffix(line, "\n") {
			line += "\n"
		}
		if verifiesLine(text, line, c.v) {
			out = append(out, line...)
		}
	}
	if out == nil {
		return nil, fmt.Errorf("witness %s (%s): answered 200, but no cosignature by its key %s verifies", c.Name(), origin(c.URL), c.key)
	}
	return out, nil
}

// noteText is a signed note's text, up to and including the newline
// before the blank line.
func noteText(signed []byte) (string, error) {
	i := bytes.Index(signed, []byte("\n\n"))
	if i < 0 {
		return "", errors.New("not a signed note")
	}
	return string(signed[:i+1]), nil
}

// verifiesLine reports whether line is a signature of text by v.
func verifiesLine(text, line string, v note.Verifier) bool {
	n, err := note.Open([]byte(text+"\n"+line), note.VerifierList(v))
	return err == nil && len(n.Sigs) == 1 && n.Sigs[0].Name == v.Name() && n.Sigs[0].Hash == v.KeyHash()
}

// Refusal is a witness's refusal of a stored checkpoint that shows a fork,
// kept as a store.AnchorRefusals anchor (a JSON array).
type Refusal struct {
	Witness string    `json:"witness"` // the witness's name
	URL     string    `json:"url"`     // scheme and host only
	Time    time.Time `json:"time"`
	Error   string    `json:"error"`
}

// CosignLatest asks the witness to cosign the latest stored checkpoint,
// unless it has; it stores the cosignature. It proves the checkpoint
// consistent with the last one the witness cosigned (stored), or from
// size 0; a 409 Conflict is retried once from the size the witness names.
// A refusal that shows a fork (a proof the witness rejects, or a witness
// that has seen more of the log than the store holds) is stored and
// returned wrapping ErrForked.
func CosignLatest(ctx context.Context, st *store.Store, c *Cosigner) (bool, error) {
	cps, err := st.Checkpoints()
	if err != nil || len(cps) == 0 {
		return false, err
	}
	latest := cps[len(cps)-1]
	have, err := st.Anchors(store.AnchorCosignatures)
	if err != nil {
		return false, err
	}
	if c.signed(have[latest.Index]) {
		return false, nil
	}
	var old uint64
	for _, cp := range slices.Backward(cps) {
		if c.signed(have[cp.Index]) {
			old = cp.Size
			break
		}
	}
	lines, err := c.add(ctx, st, old, latest)
	if errors.Is(err, ErrForked) {
		return false, errors.Join(fmt.Errorf("checkpoint %d: %w", latest.Index, err), c.refusal(st, latest.Index, err))
	}
	if err != nil {
		return false, fmt.Errorf("checkpoint %d: %w", latest.Index, err)
	}
	return true, st.PutAnchor(store.Anchor{Checkpoint: latest.Index, Kind: store.AnchorCosignatures,
		Data: mergeLines(have[latest.Index], lines)})
}

// add posts the checkpoint, from old, and once more from the size a 409
// names.
func (c *Cosigner) add(ctx context.Context, st *store.Store, old uint64, cp store.Checkpoint) ([]byte, error) {
	for try := 0; ; try++ {
		proof, err := proveFrom(st, old, cp.Size)
		if err != nil {
			return nil, err
		}
		lines, err := c.AddCheckpoint(ctx, old, proof, cp.Note)
		var conflict *WitnessConflictError
		if !errors.As(err, &conflict) {
			return lines, err
		}
		if conflict.Known > cp.Size {
			return nil, fmt.Errorf("%w: witness %s (%s) has cosigned this log at tree size %d, beyond the %d records it holds now: "+
				"records were deleted from its end, or it was rebuilt", ErrForked, c.Name(), origin(c.URL), conflict.Known, cp.Size)
		}
		if try > 0 || conflict.Known == old {
			return nil, fmt.Errorf("witness %s (%s): %w, and it still conflicts", c.Name(), origin(c.URL), conflict)
		}
		old = conflict.Known
	}
}

// proveFrom is the consistency proof from tree size old to size.
func proveFrom(st *store.Store, old, size uint64) ([]tlog.Hash, error) {
	if old == 0 || old == size {
		return nil, nil
	}
	p, err := tlog.ProveTree(int64(size), int64(old), st.HashReader())
	if err != nil {
		return nil, fmt.Errorf("consistency proof from %d to %d: %w", old, size, err)
	}
	return p, nil
}

// signed reports whether stored cosignature lines hold one by this
// witness's key.
func (c *Cosigner) signed(lines []byte) bool {
	prefix := "— " + c.v.Name() + " "
	for _, l := range strings.Split(string(lines), "\n") {
		if b64, ok := strings.CutPrefix(l, prefix); ok && sigHash(b64) == c.v.KeyHash() {
			return true
		}
	}
	return false
}

// mergeLines adds lines to stored ones, one line each, sorted.
func mergeLines(stored, lines []byte) []byte {
	all := strings.Split(strings.TrimSuffix(string(stored)+string(lines), "\n"), "\n")
	slices.Sort(all)
	all = slices.Compact(all)
	if len(all) > 0 && all[0] == "" {
		all = all[1:]
	}
	return []byte(strings.Join(all, "\n") + "\n")
}

// refusal stores a witness's refusal of checkpoint index.
func (c *Cosigner) refusal(st *store.Store, index uint64, refused error) error {
	all, err := st.Anchors(store.AnchorRefusals)
	if err != nil {
		return err
	}
	var rs []Refusal
	if b, ok := all[index]; ok {
		if err := json.Unmarshal(b, &rs); err != nil {
			return fmt.Errorf("stored refusals of checkpoint %d: %w", index, err)
		}
	}
	for _, r := range rs {
		if r.Witness == c.Name() {
			return nil // stored at an earlier try
		}
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	rs = append(rs, Refusal{Witness: c.Name(), URL: origin(c.URL), Time: now().UTC(), Error: refused.Error()})
	b, err := json.Marshal(rs)
	if err != nil {
		return err
	}
	return st.PutAnchor(store.Anchor{Checkpoint: index, Kind: store.AnchorRefusals, Data: b})
}

// isCosignatureKey reports whether a verifier key is a cosignature/v1 key
// (algorithm 0x04).
func isCosignatureKey(vkey string) bool {
	parts := strings.SplitN(strings.TrimSpace(vkey), "+", 3)
	if len(parts) != 3 {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	return err == nil && len(raw) > 0 && raw[0] == 0x04
}
