package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/telltale/telltale/store"
)

// Witness posts signed checkpoints to a URL outside this machine (a
// webhook, a ticketing system, a witness service), so that copies exist
// where the key holder cannot change them: a log rewritten later cannot
// be consistent with a checkpoint the witness kept.
type Witness struct {
	URL string
	// Client makes the request; nil means one with a 10-second timeout.
	Client *http.Client
	Now    func() time.Time // receipt times; nil means time.Now
}

// WitnessPost is the JSON body of a post to the witness.
type WitnessPost struct {
	Log        string `json:"log"`        // the log's origin (its key's name)
	Key        string `json:"key"`        // the log's verifier key (log.pub)
	Checkpoint uint64 `json:"checkpoint"` // the stored checkpoint's index
	TreeSize   uint64 `json:"tree_size"`
	Note       string `json:"note"` // the signed checkpoint, as signed
	// Timestamp is the checkpoint's RFC 3161 time-stamp response (DER,
	// base64), when it has one.
	Timestamp []byte `json:"timestamp,omitempty"`
	Text      string `json:"text"` // a line for chat webhooks
}

// WitnessReceipt is what the store keeps of an accepted post.
type WitnessReceipt struct {
	URL    string    `json:"url"` // scheme and host only: a path may hold a token
	Time   time.Time `json:"time"`
	Status int       `json:"status"`
}

// Send posts one checkpoint; any answer but 2xx is an error.
func (w *Witness) Send(ctx context.Context, p WitnessPost) (WitnessReceipt, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return WitnessReceipt{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return WitnessReceipt{}, fmt.Errorf("witness %s: %w", origin(w.URL), bareErr(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := noRedirects(w.Client).Do(req)
	if err != nil {
		return WitnessReceipt{}, fmt.Errorf("witness %s: %w", origin(w.URL), bareErr(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return WitnessReceipt{}, fmt.Errorf("witness %s: HTTP %s%s", origin(w.URL), resp.Status, redirectNote(resp))
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	return WitnessReceipt{URL: origin(w.URL), Time: now().UTC(), Status: resp.StatusCode}, nil
}

// NewWitnessPost is the post of a stored checkpoint and its timestamp
// (nil when it has none); key is the log's verifier key, whose name the
// note must carry.
func NewWitnessPost(cp store.Checkpoint, tsr []byte, key string) (WitnessPost, error) {
	v, err := ParseKey(key)
	if err != nil {
		return WitnessPost{}, err
	}
	ck, err := Open(cp.Note, v)
	if err != nil {
		return WitnessPost{}, fmt.Errorf("checkpoint %d: %w", cp.Index, err)
	}
	return WitnessPost{Log: ck.Origin, Key: key, Checkpoint: cp.Index, TreeSize: ck.Size, Note: string(cp.Note),
		Timestamp: tsr, Text: fmt.Sprintf("[telltale] checkpoint %d of log %s: tree size %d, root hash %s",
			cp.Index, ck.Origin, ck.Size, ck.Root)}, nil
}

// SendCheckpoints posts each stored checkpoint that has no witness
// receipt, newest first (the newest vouches for all before it), at most
// max (0 means 10), and stores a receipt for each accepted post. It stops
// at the first failure; the rest wait for the next call.
func SendCheckpoints(ctx context.Context, st *store.Store, w *Witness, key string, max int) (int, error) {
	if max <= 0 {
		max = 10
	}
	cps, err := st.Checkpoints()
	if err != nil {
		return 0, err
	}
	sent, err := st.Anchors(store.AnchorWitness)
	if err != nil {
		return 0, err
	}
	tsrs, err := st.Anchors(store.AnchorTimestamp)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, cp := range slices.Backward(cps) {
		if _, ok := sent[cp.Index]; ok {
			continue
		}
		if n == max {
			break
		}
		if err := sendOne(ctx, st, w, cp, tsrs[cp.Index], key); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func sendOne(ctx context.Context, st *store.Store, w *Witness, cp store.Checkpoint, tsr []byte, key string) error {
	p, err := NewWitnessPost(cp, tsr, key)
	if err != nil {
		return err
	}
	r, err := w.Send(ctx, p)
	if err != nil {
		return fmt.Errorf("checkpoint %d: %w", cp.Index, err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return st.PutAnchor(store.Anchor{Checkpoint: cp.Index, Kind: store.AnchorWitness, Data: b})
}

// origin is a URL's scheme and host, for messages and receipts: its path
// or query may hold a token, which must not reach a log.
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "(a malformed URL)"
	}
	return p.Scheme + "://" + p.Host
}

// bareErr drops the *url.Error wrapper of an HTTP client's error, which
// repeats the whole URL.
func bareErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
